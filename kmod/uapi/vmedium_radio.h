/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * vmedium_radio.h - the generic netlink family between the vmedium kernel
 * module (vmedium.ko, interfaces vw0.., phys vw_phy0..) and the userspace
 * medium (vmedium, Go package medium/kmod).
 *
 * The module is a thin cfg80211 FullMAC driver: every Ethernet frame the
 * stack transmits and every MAC decision (scan, connect, AP start) goes to
 * the one registered medium; the medium answers with results, station
 * information and received frames. The Go side pins every value below
 * with a test that parses this file: change both together.
 *
 * Direction: "kmod->medium" messages are unicast by the module to the
 * registered medium's netlink port (portid of its REGISTER request);
 * "medium->kmod" messages are requests the medium sends to the module.
 */
#ifndef _UAPI_VMEDIUM_RADIO_H
#define _UAPI_VMEDIUM_RADIO_H

#define VMR_FAMILY_NAME "VMEDIUM_RADIO"
#define VMR_FAMILY_VERSION 1

/* Limits the module enforces. */
#define VMR_MAX_FRAME 2304  /* largest Ethernet frame carried in VMR_ATTR_FRAME */
#define VMR_MAX_IES 1024    /* largest VMR_ATTR_IES */
#define VMR_MAX_STATIONS 16 /* cached stations per interface */
#define VMR_MAX_KEY 32      /* largest VMR_ATTR_KEY */

enum vmr_cmd {
	VMR_CMD_UNSPEC,
	VMR_CMD_REGISTER,       /* medium->kmod: become the (only) medium */
	VMR_CMD_UNREGISTER,     /* medium->kmod: stop being the medium */
	VMR_CMD_GET_RADIO,      /* medium->kmod: dump, one reply per radio;
				 * kmod->medium: a radio changed (iftype, up) */
	VMR_CMD_TX,             /* kmod->medium: Ethernet frame from the stack */
	VMR_CMD_RX,             /* medium->kmod: inject a received Ethernet frame */
	VMR_CMD_SCAN,           /* kmod->medium: scan request */
	VMR_CMD_SCAN_RESULT,    /* medium->kmod: one BSS heard */
	VMR_CMD_SCAN_DONE,      /* medium->kmod: scan finished (ABORTED flag) */
	VMR_CMD_CONNECT,        /* kmod->medium: connect request */
	VMR_CMD_CONNECT_RESULT, /* medium->kmod: STATUS (0 = success) + BSS */
	VMR_CMD_DISCONNECT,     /* kmod->medium: the user disconnected (REASON) */
	VMR_CMD_DISCONNECTED,   /* medium->kmod: link lost (REASON) */
	VMR_CMD_START_AP,       /* kmod->medium: SSID, FREQ, BEACON_INT, DTIM */
	VMR_CMD_CHANGE_BEACON,  /* kmod->medium: beacon IEs changed */
	VMR_CMD_STOP_AP,        /* kmod->medium: AP stopped */
	VMR_CMD_STATION,        /* medium->kmod: station info (cache update) */
	VMR_CMD_NEW_STATION,    /* medium->kmod: AP: a station associated */
	VMR_CMD_DEL_STATION,    /* medium->kmod: AP: a station left */
	VMR_CMD_CARRIER,        /* medium->kmod: carrier on/off (CARRIER) */
	/* Security: keys and the controlled port belong to the medium (the
	 * "firmware" encrypts and decrypts with CCMP), which hostapd or
	 * wpa_supplicant drive through cfg80211. */
	VMR_CMD_ADD_KEY,        /* kmod->medium: KEY_IDX, CIPHER, KEY, [KEY_SEQ],
				 * [STA_ADDR] (pairwise: PAIRWISE + STA_ADDR) */
	VMR_CMD_DEL_KEY,        /* kmod->medium: KEY_IDX, [PAIRWISE + STA_ADDR] */
	VMR_CMD_SET_DEFAULT_KEY,/* kmod->medium: KEY_IDX, [DEFAULT_UNICAST],
				 * [DEFAULT_MULTICAST], [MGMT] */
	VMR_CMD_AUTHORIZE,      /* kmod->medium: STA_ADDR, AUTHORIZED (controlled port) */
	VMR_CMD_KICK_STATION,   /* kmod->medium: AP: remove STA_ADDR (broadcast: all), REASON */
	__VMR_CMD_MAX,
};
#define VMR_CMD_MAX (__VMR_CMD_MAX - 1)

enum vmr_attr {
	VMR_ATTR_UNSPEC,
	VMR_ATTR_RADIO,        /* u32: radio index 0..radios-1 (vwN, vw_phyN) */
	VMR_ATTR_IFNAME,       /* string: interface name */
	VMR_ATTR_ADDR,         /* 6 bytes: the interface's MAC address */
	VMR_ATTR_IFTYPE,       /* u32: enum nl80211_iftype */
	VMR_ATTR_UP,           /* u8: interface administratively up */
	VMR_ATTR_FRAME,        /* binary: Ethernet frame */
	VMR_ATTR_SSID,         /* binary, <= 32 bytes */
	VMR_ATTR_BSSID,        /* 6 bytes */
	VMR_ATTR_FREQ,         /* u32: MHz */
	VMR_ATTR_SIGNAL,       /* s32: dBm */
	VMR_ATTR_STATUS,       /* u16: IEEE 802.11 status code */
	VMR_ATTR_REASON,       /* u16: IEEE 802.11 reason code */
	VMR_ATTR_BEACON_INT,   /* u32: TU */
	VMR_ATTR_DTIM,         /* u32 */
	VMR_ATTR_IES,          /* binary: information elements */
	VMR_ATTR_CAPABILITY,   /* u16: capability information */
	VMR_ATTR_ABORTED,      /* flag: scan aborted */
	VMR_ATTR_STA_ADDR,     /* 6 bytes: station (or, managed, AP) address */
	VMR_ATTR_TX_PACKETS,   /* u64 */
	VMR_ATTR_TX_BYTES,     /* u64 */
	VMR_ATTR_RX_PACKETS,   /* u64 */
	VMR_ATTR_RX_BYTES,     /* u64 */
	VMR_ATTR_TX_FAILED,    /* u32 */
	VMR_ATTR_CARRIER,      /* u8: 1 = on */
	VMR_ATTR_TX_DROPPED,   /* u64: frames dropped with no medium */
	VMR_ATTR_HIDDEN,       /* flag: AP hides its SSID */
	VMR_ATTR_PAD,          /* padding for 64-bit attributes */
	VMR_ATTR_KEY_IDX,      /* u8: key index 0..5 */
	VMR_ATTR_CIPHER,       /* u32: cipher suite selector (00-0f-ac:4 = CCMP-128) */
	VMR_ATTR_KEY,          /* binary: temporal key, <= VMR_MAX_KEY */
	VMR_ATTR_KEY_SEQ,      /* binary: receive sequence counter (PN), little endian, <= 16 */
	VMR_ATTR_PAIRWISE,     /* flag: pairwise key (else group) */
	VMR_ATTR_DEFAULT_UNICAST,   /* flag */
	VMR_ATTR_DEFAULT_MULTICAST, /* flag */
	VMR_ATTR_MGMT,         /* flag: the default management (BIP) key */
	VMR_ATTR_AUTHORIZED,   /* u8: 1 = the station may pass data */
	VMR_ATTR_PRIVACY,      /* flag: START_AP/CONNECT: the network is protected */
	VMR_ATTR_ASSOC_IES,    /* binary: CONNECT: the IEs the supplicant asks for
				* in the association request (its RSN element);
				* NEW_STATION: the station's association request IEs */
	__VMR_ATTR_MAX,
};
#define VMR_ATTR_MAX (__VMR_ATTR_MAX - 1)

#endif /* _UAPI_VMEDIUM_RADIO_H */
