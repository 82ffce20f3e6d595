// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * vmedium.ko - a thin cfg80211 FullMAC driver whose "firmware" is the
 * userspace medium vmedium.
 *
 * Every radio is one wiphy (vw_phyN) with one interface (vwN), so each can
 * be moved to its own network namespace. The driver makes no MAC decision:
 * scans, connects, AP starts and every transmitted Ethernet frame go to the
 * one registered medium over the VMEDIUM_RADIO generic netlink family
 * (uapi/vmedium_radio.h); the medium answers with BSS entries, connect
 * results, station information and received frames. With no medium
 * registered, frames are dropped and counted and carrier stays off.
 *
 * Locking: the radio table is built before the family is registered and
 * torn down after it is unregistered, so handlers index it without a lock.
 * The registered medium's port is written under vw_medium_lock and read
 * with READ_ONCE in the transmit path. Per-radio MAC state (scan request,
 * connection state, station cache) is under the radio's spinlock; cfg80211
 * is only called outside it.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/etherdevice.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <net/cfg80211.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "uapi/vmedium_radio.h"

static unsigned int radios = 3;
module_param(radios, uint, 0444);
MODULE_PARM_DESC(radios, "number of radios (wiphy + interface each), 1..64");
/* station=N: the name another virtual Wi-Fi driver uses for the same setting. */
module_param_named(station, radios, uint, 0444);
MODULE_PARM_DESC(station, "alias of radios");

#define VW_MAX_RADIOS 64
#define VW_TIMEOUT (10 * HZ) /* scan/connect without an answer from the medium */
#define VW_DEFAULT_SIGNAL (-50)

enum vw_state { VW_IDLE, VW_CONNECTING, VW_CONNECTED };

struct vw_sta {
	bool used;
	u8 addr[ETH_ALEN];
	s32 signal;
	u64 tx_packets, tx_bytes, rx_packets, rx_bytes;
	u32 tx_failed;
	unsigned long since; /* jiffies when the entry was created */
};

struct vw_radio {
	u32 idx;
	struct wiphy *wiphy;
	struct net_device *ndev;
	struct wireless_dev wdev;
	struct ieee80211_supported_band band;
	struct ieee80211_channel channels[13];
	struct ieee80211_rate rates[12];
	struct delayed_work scan_timeout;
	struct delayed_work conn_timeout;
	atomic64_t tx_dropped;

	spinlock_t lock; /* protects everything below */
	struct cfg80211_scan_request *scan_req;
	enum vw_state state;
	u8 ssid[IEEE80211_MAX_SSID_LEN];
	u8 ssid_len;
	u8 bssid[ETH_ALEN];
	bool ap_started;
	u32 ap_freq, ap_beacon_int, ap_dtim;
	struct vw_sta sta[VMR_MAX_STATIONS];
	/* The IEs wpa_supplicant asked for in its association request (its
	 * RSN element), reported back with the connect result. */
	u8 assoc_ies[VMR_MAX_IES];
	size_t assoc_ies_len;
};

static struct vw_radio *vw_radios[VW_MAX_RADIOS];
static unsigned int vw_nradios;

static DEFINE_SPINLOCK(vw_medium_lock);
static u32 vw_portid; /* registered medium's netlink port in init_net; 0 = none */

static struct genl_family vw_family;

static const struct ieee80211_rate vw_rates[12] = {
	{ .bitrate = 10 },
	{ .bitrate = 20, .flags = IEEE80211_RATE_SHORT_PREAMBLE },
	{ .bitrate = 55, .flags = IEEE80211_RATE_SHORT_PREAMBLE },
	{ .bitrate = 110, .flags = IEEE80211_RATE_SHORT_PREAMBLE },
	{ .bitrate = 60 },  { .bitrate = 90 },	{ .bitrate = 120 },
	{ .bitrate = 180 }, { .bitrate = 240 }, { .bitrate = 360 },
	{ .bitrate = 480 }, { .bitrate = 540 },
};

static struct vw_radio *vw_wiphy_radio(struct wiphy *wiphy)
{
	return *(struct vw_radio **)wiphy_priv(wiphy);
}

static struct vw_radio *vw_ndev_radio(struct net_device *ndev)
{
	return *(struct vw_radio **)netdev_priv(ndev);
}

/* ---- events to the medium ---- */

static struct sk_buff *vw_event_new(struct vw_radio *r, u8 cmd, size_t payload,
				    gfp_t gfp, void **hdr)
{
	struct sk_buff *msg;

	msg = genlmsg_new(nla_total_size(sizeof(u32)) + payload, gfp);
	if (!msg)
		return NULL;
	*hdr = genlmsg_put(msg, 0, 0, &vw_family, 0, cmd);
	if (!*hdr || nla_put_u32(msg, VMR_ATTR_RADIO, r->idx)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* vw_event_send finishes and unicasts msg to the medium; it always consumes msg. */
static int vw_event_send(struct sk_buff *msg, void *hdr)
{
	u32 portid = READ_ONCE(vw_portid);

	genlmsg_end(msg, hdr);
	if (!portid) {
		nlmsg_free(msg);
		return -ENOTCONN;
	}
	return genlmsg_unicast(&init_net, msg, portid);
}

/* vw_fill_radio describes r (identity, mode, MAC state) into msg. */
static int vw_fill_radio(struct sk_buff *msg, struct vw_radio *r)
{
	struct net_device *ndev = r->ndev;
	unsigned long flags;
	int err = 0;

	if (nla_put_string(msg, VMR_ATTR_IFNAME, ndev->name) ||
	    nla_put(msg, VMR_ATTR_ADDR, ETH_ALEN, ndev->dev_addr) ||
	    nla_put_u32(msg, VMR_ATTR_IFTYPE, r->wdev.iftype) ||
	    nla_put_u8(msg, VMR_ATTR_UP, netif_running(ndev)) ||
	    nla_put_u8(msg, VMR_ATTR_CARRIER, netif_carrier_ok(ndev)) ||
	    nla_put_u64_64bit(msg, VMR_ATTR_TX_DROPPED,
			      atomic64_read(&r->tx_dropped), VMR_ATTR_PAD))
		return -EMSGSIZE;

	spin_lock_irqsave(&r->lock, flags);
	if (r->ap_started) {
		if (nla_put(msg, VMR_ATTR_SSID, r->ssid_len, r->ssid) ||
		    nla_put_u32(msg, VMR_ATTR_FREQ, r->ap_freq) ||
		    nla_put_u32(msg, VMR_ATTR_BEACON_INT, r->ap_beacon_int) ||
		    nla_put_u32(msg, VMR_ATTR_DTIM, r->ap_dtim))
			err = -EMSGSIZE;
	} else if (r->state == VW_CONNECTED) {
		if (nla_put(msg, VMR_ATTR_SSID, r->ssid_len, r->ssid) ||
		    nla_put(msg, VMR_ATTR_BSSID, ETH_ALEN, r->bssid))
			err = -EMSGSIZE;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

#define VW_RADIO_MSG_SIZE 256

/* vw_notify_radio tells the medium that r changed (mode, up/down). */
static void vw_notify_radio(struct vw_radio *r)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(vw_portid))
		return;
	msg = vw_event_new(r, VMR_CMD_GET_RADIO, VW_RADIO_MSG_SIZE, GFP_KERNEL, &hdr);
	if (!msg)
		return;
	if (vw_fill_radio(msg, r)) {
		nlmsg_free(msg);
		return;
	}
	vw_event_send(msg, hdr);
}

/* ---- station cache ---- */

static struct vw_sta *vw_sta_find(struct vw_radio *r, const u8 *addr)
{
	int i;

	for (i = 0; i < VMR_MAX_STATIONS; i++)
		if (r->sta[i].used && ether_addr_equal(r->sta[i].addr, addr))
			return &r->sta[i];
	return NULL;
}

static struct vw_sta *vw_sta_get(struct vw_radio *r, const u8 *addr)
{
	struct vw_sta *s = vw_sta_find(r, addr);
	int i;

	if (s)
		return s;
	for (i = 0; i < VMR_MAX_STATIONS; i++) {
		s = &r->sta[i];
		if (!s->used) {
			memset(s, 0, sizeof(*s));
			s->used = true;
			ether_addr_copy(s->addr, addr);
			s->signal = VW_DEFAULT_SIGNAL;
			s->since = jiffies;
			return s;
		}
	}
	return NULL;
}

static void vw_sta_fill(const struct vw_sta *s, struct station_info *sinfo)
{
	sinfo->filled = BIT_ULL(NL80211_STA_INFO_SIGNAL) |
			BIT_ULL(NL80211_STA_INFO_TX_PACKETS) |
			BIT_ULL(NL80211_STA_INFO_RX_PACKETS) |
			BIT_ULL(NL80211_STA_INFO_TX_BYTES64) |
			BIT_ULL(NL80211_STA_INFO_RX_BYTES64) |
			BIT_ULL(NL80211_STA_INFO_TX_FAILED) |
			BIT_ULL(NL80211_STA_INFO_CONNECTED_TIME) |
			BIT_ULL(NL80211_STA_INFO_TX_BITRATE);
	sinfo->signal = clamp_t(s32, s->signal, S8_MIN, S8_MAX);
	sinfo->tx_packets = s->tx_packets;
	sinfo->rx_packets = s->rx_packets;
	sinfo->tx_bytes = s->tx_bytes;
	sinfo->rx_bytes = s->rx_bytes;
	sinfo->tx_failed = s->tx_failed;
	sinfo->connected_time = jiffies_to_msecs(jiffies - s->since) / 1000;
	sinfo->txrate.legacy = 540; /* 54 Mbit/s: the rate vmedium frames data at */
}

static void vw_sta_update(struct vw_sta *s, struct nlattr **a)
{
	if (a[VMR_ATTR_SIGNAL])
		s->signal = nla_get_s32(a[VMR_ATTR_SIGNAL]);
	if (a[VMR_ATTR_TX_PACKETS])
		s->tx_packets = nla_get_u64(a[VMR_ATTR_TX_PACKETS]);
	if (a[VMR_ATTR_TX_BYTES])
		s->tx_bytes = nla_get_u64(a[VMR_ATTR_TX_BYTES]);
	if (a[VMR_ATTR_RX_PACKETS])
		s->rx_packets = nla_get_u64(a[VMR_ATTR_RX_PACKETS]);
	if (a[VMR_ATTR_RX_BYTES])
		s->rx_bytes = nla_get_u64(a[VMR_ATTR_RX_BYTES]);
	if (a[VMR_ATTR_TX_FAILED])
		s->tx_failed = nla_get_u32(a[VMR_ATTR_TX_FAILED]);
}

/* ---- net_device ---- */

static netdev_tx_t vw_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct vw_radio *r = vw_ndev_radio(ndev);
	u32 portid = READ_ONCE(vw_portid);
	unsigned int len = skb->len;
	struct sk_buff *msg;
	struct nlattr *nla;
	void *hdr;

	if (!portid || len > VMR_MAX_FRAME)
		goto drop;
	/* The netlink message is the only allocation in this path. */
	msg = vw_event_new(r, VMR_CMD_TX, nla_total_size(len), GFP_ATOMIC, &hdr);
	if (!msg)
		goto drop;
	nla = nla_reserve(msg, VMR_ATTR_FRAME, len);
	if (!nla || skb_copy_bits(skb, 0, nla_data(nla), len)) {
		nlmsg_free(msg);
		goto drop;
	}
	if (vw_event_send(msg, hdr))
		goto drop;
	ndev->stats.tx_packets++;
	ndev->stats.tx_bytes += len;
	consume_skb(skb);
	return NETDEV_TX_OK;
drop:
	atomic64_inc(&r->tx_dropped);
	ndev->stats.tx_dropped++;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static int vw_open(struct net_device *ndev)
{
	netif_carrier_off(ndev);
	netif_start_queue(ndev);
	vw_notify_radio(vw_ndev_radio(ndev));
	return 0;
}

static int vw_stop(struct net_device *ndev)
{
	netif_stop_queue(ndev);
	netif_carrier_off(ndev);
	vw_notify_radio(vw_ndev_radio(ndev));
	return 0;
}

static const struct net_device_ops vw_netdev_ops = {
	.ndo_open = vw_open,
	.ndo_stop = vw_stop,
	.ndo_start_xmit = vw_xmit,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* ---- cfg80211 ops ---- */

static void vw_scan_finish(struct vw_radio *r, bool aborted)
{
	struct cfg80211_scan_info info = { .aborted = aborted };
	struct cfg80211_scan_request *req;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	req = r->scan_req;
	r->scan_req = NULL;
	spin_unlock_irqrestore(&r->lock, flags);
	if (req)
		cfg80211_scan_done(req, &info);
}

static void vw_scan_timeout(struct work_struct *w)
{
	struct vw_radio *r = container_of(w, struct vw_radio, scan_timeout.work);

	vw_scan_finish(r, true);
}

static int vw_scan(struct wiphy *wiphy, struct cfg80211_scan_request *req)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	struct sk_buff *msg;
	unsigned long flags;
	void *hdr;
	int err;

	if (!READ_ONCE(vw_portid))
		return -ENETDOWN;
	msg = vw_event_new(r, VMR_CMD_SCAN, nla_total_size(IEEE80211_MAX_SSID_LEN),
			   GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	if (req->n_ssids > 0 && req->ssids[0].ssid_len > 0 &&
	    nla_put(msg, VMR_ATTR_SSID, req->ssids[0].ssid_len, req->ssids[0].ssid)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	spin_lock_irqsave(&r->lock, flags);
	if (r->scan_req) {
		spin_unlock_irqrestore(&r->lock, flags);
		nlmsg_free(msg);
		return -EBUSY;
	}
	r->scan_req = req;
	spin_unlock_irqrestore(&r->lock, flags);

	err = vw_event_send(msg, hdr);
	if (err) {
		spin_lock_irqsave(&r->lock, flags);
		if (r->scan_req == req)
			r->scan_req = NULL;
		spin_unlock_irqrestore(&r->lock, flags);
		return err;
	}
	schedule_delayed_work(&r->scan_timeout, VW_TIMEOUT);
	return 0;
}

static void vw_abort_scan(struct wiphy *wiphy, struct wireless_dev *wdev)
{
	vw_scan_finish(vw_wiphy_radio(wiphy), true);
}

/* vw_connect_fail reports a failed or abandoned connect attempt, if one is pending. */
static void vw_connect_fail(struct vw_radio *r, u16 status, bool timeout)
{
	unsigned long flags;
	bool was;

	spin_lock_irqsave(&r->lock, flags);
	was = r->state == VW_CONNECTING;
	if (was)
		r->state = VW_IDLE;
	spin_unlock_irqrestore(&r->lock, flags);
	if (!was)
		return;
	if (timeout)
		cfg80211_connect_timeout(r->ndev, NULL, NULL, 0, GFP_KERNEL,
					 NL80211_TIMEOUT_UNSPECIFIED);
	else
		cfg80211_connect_bss(r->ndev, NULL, NULL, NULL, 0, NULL, 0, status,
				     GFP_KERNEL, NL80211_TIMEOUT_UNSPECIFIED);
}

static void vw_conn_timeout(struct work_struct *w)
{
	struct vw_radio *r = container_of(w, struct vw_radio, conn_timeout.work);

	vw_connect_fail(r, WLAN_STATUS_UNSPECIFIED_FAILURE, true);
}

static int vw_connect(struct wiphy *wiphy, struct net_device *ndev,
		      struct cfg80211_connect_params *sme)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	const u8 *bssid = sme->bssid ?: sme->bssid_hint;
	struct ieee80211_channel *chan = sme->channel ?: sme->channel_hint;
	struct sk_buff *msg;
	unsigned long flags;
	void *hdr;
	int err;

	if (!READ_ONCE(vw_portid))
		return -ENETDOWN;
	if (sme->ssid_len == 0 || sme->ssid_len > IEEE80211_MAX_SSID_LEN)
		return -EINVAL;
	if (sme->ie_len > VMR_MAX_IES)
		return -EINVAL;
	msg = vw_event_new(r, VMR_CMD_CONNECT, 128 + nla_total_size(sme->ie_len), GFP_KERNEL,
			   &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put(msg, VMR_ATTR_SSID, sme->ssid_len, sme->ssid) ||
	    (bssid && nla_put(msg, VMR_ATTR_BSSID, ETH_ALEN, bssid)) ||
	    (chan && nla_put_u32(msg, VMR_ATTR_FREQ, chan->center_freq)) ||
	    (sme->privacy && nla_put_flag(msg, VMR_ATTR_PRIVACY)) ||
	    (sme->ie_len && nla_put(msg, VMR_ATTR_ASSOC_IES, sme->ie_len, sme->ie))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	spin_lock_irqsave(&r->lock, flags);
	if (r->state != VW_IDLE) {
		spin_unlock_irqrestore(&r->lock, flags);
		nlmsg_free(msg);
		return -EALREADY;
	}
	r->state = VW_CONNECTING;
	memcpy(r->ssid, sme->ssid, sme->ssid_len);
	r->ssid_len = sme->ssid_len;
	memcpy(r->assoc_ies, sme->ie, sme->ie_len);
	r->assoc_ies_len = sme->ie_len;
	spin_unlock_irqrestore(&r->lock, flags);

	err = vw_event_send(msg, hdr);
	if (err) {
		spin_lock_irqsave(&r->lock, flags);
		if (r->state == VW_CONNECTING)
			r->state = VW_IDLE;
		spin_unlock_irqrestore(&r->lock, flags);
		return err;
	}
	schedule_delayed_work(&r->conn_timeout, VW_TIMEOUT);
	return 0;
}

static void vw_send_simple(struct vw_radio *r, u8 cmd, u16 reason)
{
	struct sk_buff *msg;
	void *hdr;

	msg = vw_event_new(r, cmd, nla_total_size(sizeof(u16)), GFP_KERNEL, &hdr);
	if (!msg)
		return;
	if (reason && nla_put_u16(msg, VMR_ATTR_REASON, reason)) {
		nlmsg_free(msg);
		return;
	}
	vw_event_send(msg, hdr);
}

/*
 * vw_link_down ends r's connection as seen by cfg80211. Called with the
 * state already moved off VW_CONNECTED by the caller.
 */
static void vw_link_down(struct vw_radio *r, u16 reason, bool local)
{
	unsigned long flags;

	netif_carrier_off(r->ndev);
	spin_lock_irqsave(&r->lock, flags);
	memset(r->sta, 0, sizeof(r->sta));
	spin_unlock_irqrestore(&r->lock, flags);
	cfg80211_disconnected(r->ndev, reason, NULL, 0, local, GFP_KERNEL);
}

static int vw_disconnect(struct wiphy *wiphy, struct net_device *ndev, u16 reason)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	enum vw_state old;
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	old = r->state;
	r->state = VW_IDLE;
	spin_unlock_irqrestore(&r->lock, flags);
	if (old == VW_IDLE)
		return 0;
	cancel_delayed_work(&r->conn_timeout);
	vw_send_simple(r, VMR_CMD_DISCONNECT, reason);
	if (old == VW_CONNECTED)
		vw_link_down(r, reason, true);
	else
		cfg80211_connect_timeout(ndev, NULL, NULL, 0, GFP_KERNEL,
					 NL80211_TIMEOUT_UNSPECIFIED);
	return 0;
}

static int vw_get_station(struct wiphy *wiphy, struct net_device *ndev,
			  const u8 *mac, struct station_info *sinfo)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	unsigned long flags;
	struct vw_sta *s;
	int err = -ENOENT;

	spin_lock_irqsave(&r->lock, flags);
	s = vw_sta_find(r, mac);
	if (s) {
		vw_sta_fill(s, sinfo);
		err = 0;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

static int vw_dump_station(struct wiphy *wiphy, struct net_device *ndev,
			   int idx, u8 *mac, struct station_info *sinfo)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	unsigned long flags;
	int i, n = 0, err = -ENOENT;

	spin_lock_irqsave(&r->lock, flags);
	for (i = 0; i < VMR_MAX_STATIONS; i++) {
		if (!r->sta[i].used)
			continue;
		if (n++ == idx) {
			ether_addr_copy(mac, r->sta[i].addr);
			vw_sta_fill(&r->sta[i], sinfo);
			err = 0;
			break;
		}
	}
	spin_unlock_irqrestore(&r->lock, flags);
	return err;
}

static int vw_change_virtual_intf(struct wiphy *wiphy, struct net_device *ndev,
				  enum nl80211_iftype type, struct vif_params *params)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);

	switch (type) {
	case NL80211_IFTYPE_STATION:
	case NL80211_IFTYPE_AP:
		break;
	default:
		return -EOPNOTSUPP;
	}
	ndev->ieee80211_ptr->iftype = type;
	vw_notify_radio(r);
	return 0;
}

static int vw_send_beacon(struct vw_radio *r, u8 cmd, const u8 *ssid, size_t ssid_len,
			  const struct cfg80211_beacon_data *b, bool hidden, bool privacy)
{
	struct sk_buff *msg;
	void *hdr;
	u32 freq, bint, dtim;
	unsigned long flags;

	msg = vw_event_new(r, cmd, 128 + nla_total_size(b->tail_len), GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	spin_lock_irqsave(&r->lock, flags);
	freq = r->ap_freq;
	bint = r->ap_beacon_int;
	dtim = r->ap_dtim;
	spin_unlock_irqrestore(&r->lock, flags);
	if ((ssid && nla_put(msg, VMR_ATTR_SSID, ssid_len, ssid)) ||
	    nla_put_u32(msg, VMR_ATTR_FREQ, freq) ||
	    nla_put_u32(msg, VMR_ATTR_BEACON_INT, bint) ||
	    nla_put_u32(msg, VMR_ATTR_DTIM, dtim) ||
	    (b->tail_len && b->tail_len <= VMR_MAX_IES &&
	     nla_put(msg, VMR_ATTR_IES, b->tail_len, b->tail)) ||
	    (hidden && nla_put_flag(msg, VMR_ATTR_HIDDEN)) ||
	    (privacy && nla_put_flag(msg, VMR_ATTR_PRIVACY))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vw_event_send(msg, hdr);
}

static int vw_start_ap(struct wiphy *wiphy, struct net_device *ndev,
		       struct cfg80211_ap_settings *s)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	unsigned long flags;

	if (!s->ssid || s->ssid_len == 0 || s->ssid_len > IEEE80211_MAX_SSID_LEN)
		return -EINVAL;
	spin_lock_irqsave(&r->lock, flags);
	r->ap_started = true;
	memcpy(r->ssid, s->ssid, s->ssid_len);
	r->ssid_len = s->ssid_len;
	r->ap_freq = s->chandef.chan->center_freq;
	r->ap_beacon_int = s->beacon_interval;
	r->ap_dtim = s->dtim_period;
	memset(r->sta, 0, sizeof(r->sta));
	spin_unlock_irqrestore(&r->lock, flags);
	/* Without a medium the AP still starts; the medium learns of it from
	 * its GET_RADIO dump when it registers. */
	if (vw_send_beacon(r, VMR_CMD_START_AP, s->ssid, s->ssid_len, &s->beacon,
			   s->hidden_ssid != NL80211_HIDDEN_SSID_NOT_IN_USE, s->privacy) == 0)
		netif_carrier_on(ndev);
	return 0;
}

static int vw_change_beacon(struct wiphy *wiphy, struct net_device *ndev,
			    struct cfg80211_beacon_data *info)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);

	vw_send_beacon(r, VMR_CMD_CHANGE_BEACON, NULL, 0, info, false, false);
	return 0;
}

static int vw_stop_ap(struct wiphy *wiphy, struct net_device *ndev, unsigned int link_id)
{
	struct vw_radio *r = vw_wiphy_radio(wiphy);
	unsigned long flags;

	spin_lock_irqsave(&r->lock, flags);
	r->ap_started = false;
	memset(r->sta, 0, sizeof(r->sta));
	spin_unlock_irqrestore(&r->lock, flags);
	netif_carrier_off(ndev);
	vw_send_simple(r, VMR_CMD_STOP_AP, 0);
	return 0;
}


/* ---- security: keys and the controlled port, handed to the medium ----
 *
 * The module keeps no key: the medium is the "firmware" that encrypts and
 * decrypts data frames (CCMP-128) and enforces the controlled port, so
 * every key operation cfg80211 asks for becomes an event. EAPOL frames
 * travel the plain data path (ETH_P_PAE through ndo_start_xmit and RX),
 * which is where hostapd and wpa_supplicant send and read them on a
 * driver without control-port-over-nl80211.
 */

static const u32 vw_cipher_suites[] = {
	WLAN_CIPHER_SUITE_CCMP,
};

#define VW_KEY_MSG_SIZE 256

static int vw_key_event(struct vw_radio *r, u8 cmd, u8 key_index, bool pairwise,
			const u8 *mac_addr, struct key_params *params)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(vw_portid))
		return -ENETDOWN;
	msg = vw_event_new(r, cmd, VW_KEY_MSG_SIZE, GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u8(msg, VMR_ATTR_KEY_IDX, key_index) ||
	    (pairwise && nla_put_flag(msg, VMR_ATTR_PAIRWISE)) ||
	    (mac_addr && nla_put(msg, VMR_ATTR_STA_ADDR, ETH_ALEN, mac_addr)) ||
	    (params && (nla_put_u32(msg, VMR_ATTR_CIPHER, params->cipher) ||
			nla_put(msg, VMR_ATTR_KEY, params->key_len, params->key) ||
			(params->seq_len &&
			 nla_put(msg, VMR_ATTR_KEY_SEQ, params->seq_len, params->seq))))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vw_event_send(msg, hdr);
}

static int vw_add_key(struct wiphy *wiphy, struct net_device *ndev, int link_id,
		      u8 key_index, bool pairwise, const u8 *mac_addr,
		      struct key_params *params)
{
	if (params->cipher != WLAN_CIPHER_SUITE_CCMP)
		return -EOPNOTSUPP;
	if (params->key_len > VMR_MAX_KEY || params->seq_len > 16)
		return -EINVAL;
	if (pairwise && !mac_addr)
		return -EINVAL;
	return vw_key_event(vw_wiphy_radio(wiphy), VMR_CMD_ADD_KEY, key_index, pairwise,
			    mac_addr, params);
}

static int vw_del_key(struct wiphy *wiphy, struct net_device *ndev, int link_id,
		      u8 key_index, bool pairwise, const u8 *mac_addr)
{
	/* Nothing to delete without a medium: it holds every key. */
	vw_key_event(vw_wiphy_radio(wiphy), VMR_CMD_DEL_KEY, key_index, pairwise,
		     mac_addr, NULL);
	return 0;
}

static int vw_default_key_event(struct vw_radio *r, u8 key_index, bool unicast,
				bool multicast, bool mgmt)
{
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(vw_portid))
		return -ENETDOWN;
	msg = vw_event_new(r, VMR_CMD_SET_DEFAULT_KEY, 64, GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	if (nla_put_u8(msg, VMR_ATTR_KEY_IDX, key_index) ||
	    (unicast && nla_put_flag(msg, VMR_ATTR_DEFAULT_UNICAST)) ||
	    (multicast && nla_put_flag(msg, VMR_ATTR_DEFAULT_MULTICAST)) ||
	    (mgmt && nla_put_flag(msg, VMR_ATTR_MGMT))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vw_event_send(msg, hdr);
}

static int vw_set_default_key(struct wiphy *wiphy, struct net_device *ndev, int link_id,
			      u8 key_index, bool unicast, bool multicast)
{
	return vw_default_key_event(vw_wiphy_radio(wiphy), key_index, unicast, multicast,
				    false);
}

static int vw_set_default_mgmt_key(struct wiphy *wiphy, struct net_device *ndev,
				   int link_id, u8 key_index)
{
	return vw_default_key_event(vw_wiphy_radio(wiphy), key_index, false, false, true);
}

/* vw_sta_event sends cmd about station mac with one u8 or u16 value. */
static int vw_sta_event(struct vw_radio *r, u8 cmd, const u8 *mac, int attr, u16 val)
{
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!READ_ONCE(vw_portid))
		return -ENETDOWN;
	msg = vw_event_new(r, cmd, 64, GFP_KERNEL, &hdr);
	if (!msg)
		return -ENOMEM;
	if (attr == VMR_ATTR_AUTHORIZED)
		err = nla_put_u8(msg, attr, val);
	else
		err = nla_put_u16(msg, attr, val);
	if (err || nla_put(msg, VMR_ATTR_STA_ADDR, ETH_ALEN, mac)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vw_event_send(msg, hdr);
}

/*
 * vw_change_station forwards the controlled port: hostapd authorizes a
 * station after its 4-way handshake, wpa_supplicant its AP. Other flags
 * (associated, WME, short preamble) describe what the medium's MAC already
 * decided and are accepted as they are.
 */
static int vw_change_station(struct wiphy *wiphy, struct net_device *ndev, const u8 *mac,
			     struct station_parameters *params)
{
	u32 auth = BIT(NL80211_STA_FLAG_AUTHORIZED);

	if (!(params->sta_flags_mask & auth))
		return 0;
	return vw_sta_event(vw_wiphy_radio(wiphy), VMR_CMD_AUTHORIZE, mac, VMR_ATTR_AUTHORIZED,
			    !!(params->sta_flags_set & auth));
}

/*
 * vw_del_station asks the medium's AP to remove a station (hostapd's
 * deauthentication, or its flush at start with the broadcast address). The
 * cache entry goes when the medium reports the station gone (DEL_STATION).
 */
static int vw_del_station(struct wiphy *wiphy, struct net_device *ndev,
			  struct station_del_parameters *params)
{
	const u8 *mac = params->mac ?: ndev->broadcast;

	vw_sta_event(vw_wiphy_radio(wiphy), VMR_CMD_KICK_STATION, mac, VMR_ATTR_REASON,
		     params->reason_code ?: WLAN_REASON_UNSPECIFIED);
	return 0;
}

/* vw_change_bss accepts hostapd's BSS parameters (CTS protection, preamble,
 * slot time): the medium's AP has no use for them. */
static int vw_change_bss(struct wiphy *wiphy, struct net_device *ndev,
			 struct bss_parameters *params)
{
	return 0;
}

static const struct cfg80211_ops vw_cfg_ops = {
	.scan = vw_scan,
	.abort_scan = vw_abort_scan,
	.connect = vw_connect,
	.disconnect = vw_disconnect,
	.get_station = vw_get_station,
	.dump_station = vw_dump_station,
	.change_virtual_intf = vw_change_virtual_intf,
	.start_ap = vw_start_ap,
	.change_beacon = vw_change_beacon,
	.stop_ap = vw_stop_ap,
	.add_key = vw_add_key,
	.del_key = vw_del_key,
	.set_default_key = vw_set_default_key,
	.set_default_mgmt_key = vw_set_default_mgmt_key,
	.change_station = vw_change_station,
	.del_station = vw_del_station,
	.change_bss = vw_change_bss,
};

/* ---- netlink commands from the medium ---- */

static const struct nla_policy vw_policy[VMR_ATTR_MAX + 1] = {
	[VMR_ATTR_RADIO] = { .type = NLA_U32 },
	[VMR_ATTR_IFNAME] = { .type = NLA_NUL_STRING, .len = IFNAMSIZ - 1 },
	[VMR_ATTR_ADDR] = NLA_POLICY_ETH_ADDR,
	[VMR_ATTR_IFTYPE] = { .type = NLA_U32 },
	[VMR_ATTR_UP] = { .type = NLA_U8 },
	[VMR_ATTR_FRAME] = { .type = NLA_BINARY, .len = VMR_MAX_FRAME },
	[VMR_ATTR_SSID] = { .type = NLA_BINARY, .len = IEEE80211_MAX_SSID_LEN },
	[VMR_ATTR_BSSID] = NLA_POLICY_ETH_ADDR,
	[VMR_ATTR_FREQ] = { .type = NLA_U32 },
	[VMR_ATTR_SIGNAL] = { .type = NLA_S32 },
	[VMR_ATTR_STATUS] = { .type = NLA_U16 },
	[VMR_ATTR_REASON] = { .type = NLA_U16 },
	[VMR_ATTR_BEACON_INT] = { .type = NLA_U32 },
	[VMR_ATTR_DTIM] = { .type = NLA_U32 },
	[VMR_ATTR_IES] = { .type = NLA_BINARY, .len = VMR_MAX_IES },
	[VMR_ATTR_CAPABILITY] = { .type = NLA_U16 },
	[VMR_ATTR_ABORTED] = { .type = NLA_FLAG },
	[VMR_ATTR_STA_ADDR] = NLA_POLICY_ETH_ADDR,
	[VMR_ATTR_TX_PACKETS] = { .type = NLA_U64 },
	[VMR_ATTR_TX_BYTES] = { .type = NLA_U64 },
	[VMR_ATTR_RX_PACKETS] = { .type = NLA_U64 },
	[VMR_ATTR_RX_BYTES] = { .type = NLA_U64 },
	[VMR_ATTR_TX_FAILED] = { .type = NLA_U32 },
	[VMR_ATTR_CARRIER] = { .type = NLA_U8 },
	[VMR_ATTR_TX_DROPPED] = { .type = NLA_U64 },
	[VMR_ATTR_HIDDEN] = { .type = NLA_FLAG },
	[VMR_ATTR_PAD] = { .type = NLA_REJECT },
	[VMR_ATTR_ASSOC_IES] = { .type = NLA_BINARY, .len = VMR_MAX_IES },
};

static struct vw_radio *vw_info_radio(struct genl_info *info)
{
	u32 idx;

	if (!info->attrs[VMR_ATTR_RADIO]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_RADIO (radio index) is required");
		return NULL;
	}
	idx = nla_get_u32(info->attrs[VMR_ATTR_RADIO]);
	if (idx >= vw_nradios) {
		GENL_SET_ERR_MSG(info, "no such radio index");
		return NULL;
	}
	return vw_radios[idx];
}

static int vw_nl_register(struct sk_buff *skb, struct genl_info *info)
{
	int err = 0;

	spin_lock_bh(&vw_medium_lock);
	if (vw_portid)
		err = -EBUSY;
	else
		WRITE_ONCE(vw_portid, info->snd_portid);
	spin_unlock_bh(&vw_medium_lock);
	if (err)
		GENL_SET_ERR_MSG(info, "another medium is registered");
	else
		pr_info("medium registered (port %u)\n", info->snd_portid);
	return err;
}

/* vw_medium_gone drops every carrier and fails what waits on the medium.
 * Connections and started APs are kept: a medium that registers again
 * learns them from its GET_RADIO dump and resumes them. */
static void vw_medium_gone(void)
{
	unsigned int i;

	for (i = 0; i < vw_nradios; i++) {
		struct vw_radio *r = vw_radios[i];

		netif_carrier_off(r->ndev);
		vw_scan_finish(r, true);
		vw_connect_fail(r, WLAN_STATUS_UNSPECIFIED_FAILURE, true);
	}
}

static bool vw_unregister_port(u32 portid)
{
	bool was = false;

	spin_lock_bh(&vw_medium_lock);
	if (portid && vw_portid == portid) {
		WRITE_ONCE(vw_portid, 0);
		was = true;
	}
	spin_unlock_bh(&vw_medium_lock);
	if (was) {
		pr_info("medium unregistered (port %u)\n", portid);
		vw_medium_gone();
	}
	return was;
}

static int vw_nl_unregister(struct sk_buff *skb, struct genl_info *info)
{
	if (!vw_unregister_port(info->snd_portid)) {
		GENL_SET_ERR_MSG(info, "this socket is not the registered medium");
		return -EPERM;
	}
	return 0;
}

static int vw_nl_get_radio_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	unsigned int i;

	for (i = cb->args[0]; i < vw_nradios; i++) {
		void *hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
					&vw_family, NLM_F_MULTI, VMR_CMD_GET_RADIO);

		if (!hdr)
			break;
		if (nla_put_u32(skb, VMR_ATTR_RADIO, i) || vw_fill_radio(skb, vw_radios[i])) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	cb->args[0] = i;
	return skb->len;
}

static int vw_nl_rx(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct net_device *ndev;
	struct sk_buff *rx;
	struct nlattr *f = info->attrs[VMR_ATTR_FRAME];
	int len;

	if (!r)
		return -EINVAL;
	if (!f || nla_len(f) < ETH_HLEN) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_FRAME must hold an Ethernet frame");
		return -EINVAL;
	}
	ndev = r->ndev;
	if (!netif_running(ndev)) {
		GENL_SET_ERR_MSG(info, "interface is down: frame dropped");
		return -ENETDOWN;
	}
	len = nla_len(f);
	rx = netdev_alloc_skb_ip_align(ndev, len);
	if (!rx) {
		ndev->stats.rx_dropped++;
		GENL_SET_ERR_MSG(info, "no memory for the received frame");
		return -ENOMEM;
	}
	skb_put_data(rx, nla_data(f), len);
	rx->protocol = eth_type_trans(rx, ndev);
	ndev->stats.rx_packets++;
	ndev->stats.rx_bytes += len;
	netif_rx(rx);
	return 0;
}

/* vw_ies builds a lone SSID element into buf when the medium sent no IEs. */
static const u8 *vw_ies(struct genl_info *info, u8 *buf, size_t *len)
{
	struct nlattr *ies = info->attrs[VMR_ATTR_IES];
	struct nlattr *ssid = info->attrs[VMR_ATTR_SSID];

	if (ies) {
		*len = nla_len(ies);
		return nla_data(ies);
	}
	if (!ssid) {
		*len = 0;
		return NULL;
	}
	buf[0] = WLAN_EID_SSID;
	buf[1] = nla_len(ssid);
	memcpy(buf + 2, nla_data(ssid), nla_len(ssid));
	*len = 2 + nla_len(ssid);
	return buf;
}

/* vw_inform reports the BSS described by info's attributes to cfg80211. */
static struct cfg80211_bss *vw_inform(struct vw_radio *r, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	u8 buf[2 + IEEE80211_MAX_SSID_LEN];
	struct ieee80211_channel *chan;
	struct cfg80211_bss *bss;
	const u8 *ies;
	size_t ielen;
	s32 signal = a[VMR_ATTR_SIGNAL] ? nla_get_s32(a[VMR_ATTR_SIGNAL]) : VW_DEFAULT_SIGNAL;
	u16 cap = a[VMR_ATTR_CAPABILITY] ? nla_get_u16(a[VMR_ATTR_CAPABILITY]) :
					    WLAN_CAPABILITY_ESS;
	u16 bint = a[VMR_ATTR_BEACON_INT] ? nla_get_u32(a[VMR_ATTR_BEACON_INT]) : 100;

	if (!a[VMR_ATTR_BSSID] || !a[VMR_ATTR_FREQ]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_BSSID and VMR_ATTR_FREQ are required");
		return ERR_PTR(-EINVAL);
	}
	chan = ieee80211_get_channel(r->wiphy, nla_get_u32(a[VMR_ATTR_FREQ]));
	if (!chan) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_FREQ is not a 2.4 GHz channel 1-13");
		return ERR_PTR(-EINVAL);
	}
	ies = vw_ies(info, buf, &ielen);
	bss = cfg80211_inform_bss(r->wiphy, chan, CFG80211_BSS_FTYPE_PRESP,
				  nla_data(a[VMR_ATTR_BSSID]), ktime_get_boottime_ns() >> 10,
				  cap, bint, ies, ielen,
				  clamp_t(s32, signal, -127, 0) * 100, GFP_KERNEL);
	if (!bss) {
		GENL_SET_ERR_MSG(info, "cfg80211 could not store the BSS (out of memory)");
		return ERR_PTR(-ENOMEM);
	}
	return bss;
}

static int vw_nl_scan_result(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct cfg80211_bss *bss;

	if (!r)
		return -EINVAL;
	bss = vw_inform(r, info);
	if (IS_ERR(bss))
		return PTR_ERR(bss);
	cfg80211_put_bss(r->wiphy, bss);
	return 0;
}

static int vw_nl_scan_done(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	bool pending;
	unsigned long flags;

	if (!r)
		return -EINVAL;
	spin_lock_irqsave(&r->lock, flags);
	pending = r->scan_req != NULL;
	spin_unlock_irqrestore(&r->lock, flags);
	if (!pending) {
		GENL_SET_ERR_MSG(info, "no scan in progress on this radio");
		return -ENOENT;
	}
	cancel_delayed_work(&r->scan_timeout);
	vw_scan_finish(r, nla_get_flag(info->attrs[VMR_ATTR_ABORTED]));
	return 0;
}

static int vw_nl_connect_result(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct nlattr **a = info->attrs;
	struct cfg80211_bss *bss;
	unsigned long flags;
	struct vw_sta *s;
	u8 *req_ie = NULL;
	size_t req_ie_len = 0;
	u16 status;
	bool ok;

	if (!r)
		return -EINVAL;
	if (!a[VMR_ATTR_STATUS]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_STATUS is required");
		return -EINVAL;
	}
	status = nla_get_u16(a[VMR_ATTR_STATUS]);
	if (status != WLAN_STATUS_SUCCESS) {
		spin_lock_irqsave(&r->lock, flags);
		ok = r->state == VW_CONNECTING;
		spin_unlock_irqrestore(&r->lock, flags);
		if (!ok)
			goto not_connecting;
		cancel_delayed_work(&r->conn_timeout);
		vw_connect_fail(r, status, false);
		return 0;
	}
	/* The BSS entry must exist before cfg80211 is told of success. */
	bss = vw_inform(r, info);
	if (IS_ERR(bss))
		return PTR_ERR(bss);
	spin_lock_irqsave(&r->lock, flags);
	ok = r->state == VW_CONNECTING;
	if (ok) {
		r->state = VW_CONNECTED;
		ether_addr_copy(r->bssid, nla_data(a[VMR_ATTR_BSSID]));
		memset(r->sta, 0, sizeof(r->sta));
		s = vw_sta_get(r, r->bssid);
		if (s)
			vw_sta_update(s, a);
		if (r->assoc_ies_len) {
			req_ie = kmemdup(r->assoc_ies, r->assoc_ies_len, GFP_ATOMIC);
			req_ie_len = req_ie ? r->assoc_ies_len : 0;
		}
	}
	spin_unlock_irqrestore(&r->lock, flags);
	if (!ok) {
		cfg80211_put_bss(r->wiphy, bss);
		goto not_connecting;
	}
	cancel_delayed_work(&r->conn_timeout);
	/* cfg80211 takes over the reference on bss. 6.1 copies the BSSID
	 * from the bssid argument even when bss is given: pass both. */
	cfg80211_connect_bss(r->ndev, bss->bssid, bss, req_ie, req_ie_len, NULL, 0,
			     WLAN_STATUS_SUCCESS, GFP_KERNEL, NL80211_TIMEOUT_UNSPECIFIED);
	kfree(req_ie);
	netif_carrier_on(r->ndev);
	return 0;
not_connecting:
	GENL_SET_ERR_MSG(info, "radio is not connecting");
	return -EINVAL;
}

static int vw_nl_disconnected(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	u16 reason;
	enum vw_state old;
	unsigned long flags;

	if (!r)
		return -EINVAL;
	reason = info->attrs[VMR_ATTR_REASON] ? nla_get_u16(info->attrs[VMR_ATTR_REASON]) :
						WLAN_REASON_UNSPECIFIED;
	spin_lock_irqsave(&r->lock, flags);
	old = r->state;
	if (old == VW_CONNECTED)
		r->state = VW_IDLE;
	spin_unlock_irqrestore(&r->lock, flags);
	switch (old) {
	case VW_CONNECTED:
		vw_link_down(r, reason, false);
		return 0;
	case VW_CONNECTING:
		cancel_delayed_work(&r->conn_timeout);
		vw_connect_fail(r, WLAN_STATUS_UNSPECIFIED_FAILURE, false);
		return 0;
	default:
		GENL_SET_ERR_MSG(info, "radio is not connected");
		return -ENOTCONN;
	}
}

static int vw_nl_station(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct nlattr **a = info->attrs;
	unsigned long flags;
	struct vw_sta *s;

	if (!r)
		return -EINVAL;
	if (!a[VMR_ATTR_STA_ADDR]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_STA_ADDR is required");
		return -EINVAL;
	}
	spin_lock_irqsave(&r->lock, flags);
	s = vw_sta_find(r, nla_data(a[VMR_ATTR_STA_ADDR]));
	if (s)
		vw_sta_update(s, a);
	spin_unlock_irqrestore(&r->lock, flags);
	if (!s) {
		GENL_SET_ERR_MSG(info, "no such station on this radio");
		return -ENOENT;
	}
	return 0;
}

static int vw_nl_new_station(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct nlattr **a = info->attrs;
	struct station_info *sinfo;
	unsigned long flags;
	struct vw_sta *s;
	bool added = false;
	u8 addr[ETH_ALEN];

	if (!r)
		return -EINVAL;
	if (!a[VMR_ATTR_STA_ADDR]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_STA_ADDR is required");
		return -EINVAL;
	}
	ether_addr_copy(addr, nla_data(a[VMR_ATTR_STA_ADDR]));
	sinfo = kzalloc(sizeof(*sinfo), GFP_KERNEL);
	if (!sinfo)
		return -ENOMEM;
	spin_lock_irqsave(&r->lock, flags);
	if (r->ap_started) {
		s = vw_sta_find(r, addr);
		added = !s;
		if (!s)
			s = vw_sta_get(r, addr);
		if (s) {
			vw_sta_update(s, a);
			vw_sta_fill(s, sinfo);
		}
		/* hostapd reads the station's RSN element from here and
		 * starts the 4-way handshake. */
		if (a[VMR_ATTR_ASSOC_IES]) {
			sinfo->assoc_req_ies = nla_data(a[VMR_ATTR_ASSOC_IES]);
			sinfo->assoc_req_ies_len = nla_len(a[VMR_ATTR_ASSOC_IES]);
		}
	} else {
		s = NULL;
	}
	spin_unlock_irqrestore(&r->lock, flags);
	if (!s) {
		kfree(sinfo);
		GENL_SET_ERR_MSG(info, "radio is not a started AP or its station table is full");
		return -EINVAL;
	}
	if (added)
		cfg80211_new_sta(r->ndev, addr, sinfo, GFP_KERNEL);
	kfree(sinfo);
	return 0;
}

static int vw_nl_del_station(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);
	struct nlattr **a = info->attrs;
	unsigned long flags;
	struct vw_sta *s;
	u8 addr[ETH_ALEN];

	if (!r)
		return -EINVAL;
	if (!a[VMR_ATTR_STA_ADDR]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_STA_ADDR is required");
		return -EINVAL;
	}
	ether_addr_copy(addr, nla_data(a[VMR_ATTR_STA_ADDR]));
	spin_lock_irqsave(&r->lock, flags);
	s = r->ap_started ? vw_sta_find(r, addr) : NULL;
	if (s)
		s->used = false;
	spin_unlock_irqrestore(&r->lock, flags);
	if (!s) {
		GENL_SET_ERR_MSG(info, "no such station on this AP");
		return -ENOENT;
	}
	cfg80211_del_sta(r->ndev, addr, GFP_KERNEL);
	return 0;
}

static int vw_nl_carrier(struct sk_buff *skb, struct genl_info *info)
{
	struct vw_radio *r = vw_info_radio(info);

	if (!r)
		return -EINVAL;
	if (!info->attrs[VMR_ATTR_CARRIER]) {
		GENL_SET_ERR_MSG(info, "VMR_ATTR_CARRIER is required");
		return -EINVAL;
	}
	if (nla_get_u8(info->attrs[VMR_ATTR_CARRIER]))
		netif_carrier_on(r->ndev);
	else
		netif_carrier_off(r->ndev);
	return 0;
}

/* vw_nl_medium_only guards commands only meaningful with a registered medium. */
#define VW_MEDIUM_ONLY(fn)                                                       \
	static int fn##_checked(struct sk_buff *skb, struct genl_info *info)    \
	{                                                                        \
		if (!READ_ONCE(vw_portid)) {                                     \
			GENL_SET_ERR_MSG(info, "no medium registered");          \
			return -ENOTCONN;                                        \
		}                                                                \
		return fn(skb, info);                                            \
	}
VW_MEDIUM_ONLY(vw_nl_rx)
VW_MEDIUM_ONLY(vw_nl_scan_result)
VW_MEDIUM_ONLY(vw_nl_scan_done)
VW_MEDIUM_ONLY(vw_nl_connect_result)
VW_MEDIUM_ONLY(vw_nl_disconnected)
VW_MEDIUM_ONLY(vw_nl_station)
VW_MEDIUM_ONLY(vw_nl_new_station)
VW_MEDIUM_ONLY(vw_nl_del_station)
VW_MEDIUM_ONLY(vw_nl_carrier)

static const struct genl_small_ops vw_ops[] = {
	{ .cmd = VMR_CMD_REGISTER, .doit = vw_nl_register, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_UNREGISTER, .doit = vw_nl_unregister, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_GET_RADIO, .dumpit = vw_nl_get_radio_dump, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_RX, .doit = vw_nl_rx_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_SCAN_RESULT, .doit = vw_nl_scan_result_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_SCAN_DONE, .doit = vw_nl_scan_done_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_CONNECT_RESULT, .doit = vw_nl_connect_result_checked,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_DISCONNECTED, .doit = vw_nl_disconnected_checked,
	  .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_STATION, .doit = vw_nl_station_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_NEW_STATION, .doit = vw_nl_new_station_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_DEL_STATION, .doit = vw_nl_del_station_checked, .flags = GENL_ADMIN_PERM },
	{ .cmd = VMR_CMD_CARRIER, .doit = vw_nl_carrier_checked, .flags = GENL_ADMIN_PERM },
};

static struct genl_family vw_family __ro_after_init = {
	.name = VMR_FAMILY_NAME,
	.version = VMR_FAMILY_VERSION,
	.maxattr = VMR_ATTR_MAX,
	.policy = vw_policy,
	.module = THIS_MODULE,
	.small_ops = vw_ops,
	.n_small_ops = ARRAY_SIZE(vw_ops),
	.netnsok = false, /* the medium lives in init_net */
};

static int vw_netlink_notify(struct notifier_block *nb, unsigned long state, void *data)
{
	struct netlink_notify *n = data;

	if (state == NETLINK_URELEASE && n->protocol == NETLINK_GENERIC &&
	    net_eq(n->net, &init_net))
		vw_unregister_port(n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block vw_netlink_nb = {
	.notifier_call = vw_netlink_notify,
};

/* ---- radios ---- */

static void vw_radio_destroy(struct vw_radio *r)
{
	if (r->ndev) {
		cancel_delayed_work_sync(&r->scan_timeout);
		cancel_delayed_work_sync(&r->conn_timeout);
		/* A scan cfg80211 still owns must be completed before the
		 * interface goes, or cfg80211 warns. */
		vw_scan_finish(r, true);
		unregister_netdev(r->ndev);
		/* unregister_netdev made cfg80211 stop the AP and disconnect,
		 * which may have queued the timeouts again. */
		cancel_delayed_work_sync(&r->scan_timeout);
		cancel_delayed_work_sync(&r->conn_timeout);
		wiphy_unregister(r->wiphy);
		free_netdev(r->ndev);
	}
	wiphy_free(r->wiphy);
	kfree(r);
}

static struct vw_radio *vw_radio_create(u32 idx)
{
	char phy[16], ifname[IFNAMSIZ];
	struct net_device *ndev;
	struct wiphy *wiphy;
	struct vw_radio *r;
	u8 addr[ETH_ALEN] = { 0x02, 'v', 'w', 0, 0, idx };
	int i, err;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return ERR_PTR(-ENOMEM);
	r->idx = idx;
	spin_lock_init(&r->lock);
	atomic64_set(&r->tx_dropped, 0);
	INIT_DELAYED_WORK(&r->scan_timeout, vw_scan_timeout);
	INIT_DELAYED_WORK(&r->conn_timeout, vw_conn_timeout);

	snprintf(phy, sizeof(phy), "vw_phy%u", idx);
	wiphy = wiphy_new_nm(&vw_cfg_ops, sizeof(struct vw_radio *), phy);
	if (!wiphy) {
		kfree(r);
		return ERR_PTR(-ENOMEM);
	}
	*(struct vw_radio **)wiphy_priv(wiphy) = r;
	r->wiphy = wiphy;

	/* cfg80211 writes regulatory flags into the channels: one copy per wiphy. */
	for (i = 0; i < ARRAY_SIZE(r->channels); i++) {
		r->channels[i].band = NL80211_BAND_2GHZ;
		r->channels[i].center_freq = 2412 + 5 * i;
		r->channels[i].hw_value = i + 1;
		r->channels[i].max_power = 20;
	}
	memcpy(r->rates, vw_rates, sizeof(vw_rates));
	r->band.band = NL80211_BAND_2GHZ;
	r->band.channels = r->channels;
	r->band.n_channels = ARRAY_SIZE(r->channels);
	r->band.bitrates = r->rates;
	r->band.n_bitrates = ARRAY_SIZE(r->rates);
	wiphy->bands[NL80211_BAND_2GHZ] = &r->band;
	wiphy->interface_modes = BIT(NL80211_IFTYPE_STATION) | BIT(NL80211_IFTYPE_AP);
	wiphy->signal_type = CFG80211_SIGNAL_TYPE_MBM;
	wiphy->max_scan_ssids = 4;
	wiphy->max_scan_ie_len = VMR_MAX_IES;
	wiphy->flags |= WIPHY_FLAG_NETNS_OK;
	/* The medium's AP associates stations itself; hostapd learns of them
	 * from NEW_STATION events with their association request IEs. */
	wiphy->flags |= WIPHY_FLAG_HAVE_AP_SME;
	wiphy->cipher_suites = vw_cipher_suites;
	wiphy->n_cipher_suites = ARRAY_SIZE(vw_cipher_suites);
	memcpy(wiphy->perm_addr, addr, ETH_ALEN);

	err = wiphy_register(wiphy);
	if (err) {
		wiphy_free(wiphy);
		kfree(r);
		return ERR_PTR(err);
	}

	snprintf(ifname, sizeof(ifname), "vw%u", idx);
	ndev = alloc_netdev(sizeof(struct vw_radio *), ifname, NET_NAME_ENUM, ether_setup);
	if (!ndev) {
		err = -ENOMEM;
		goto unreg_wiphy;
	}
	*(struct vw_radio **)netdev_priv(ndev) = r;
	ndev->netdev_ops = &vw_netdev_ops;
	eth_hw_addr_set(ndev, addr);
	r->wdev.wiphy = wiphy;
	r->wdev.netdev = ndev;
	r->wdev.iftype = NL80211_IFTYPE_STATION;
	ndev->ieee80211_ptr = &r->wdev;
	SET_NETDEV_DEV(ndev, wiphy_dev(wiphy));
	netif_carrier_off(ndev);
	err = register_netdev(ndev);
	if (err) {
		free_netdev(ndev);
		goto unreg_wiphy;
	}
	r->ndev = ndev;
	return r;

unreg_wiphy:
	wiphy_unregister(wiphy);
	wiphy_free(wiphy);
	kfree(r);
	return ERR_PTR(err);
}

static void vw_destroy_all(void)
{
	while (vw_nradios > 0) {
		vw_nradios--;
		vw_radio_destroy(vw_radios[vw_nradios]);
		vw_radios[vw_nradios] = NULL;
	}
}

static int __init vw_init(void)
{
	int err;
	u32 i;

	if (radios < 1 || radios > VW_MAX_RADIOS) {
		pr_err("radios=%u: must be 1..%d\n", radios, VW_MAX_RADIOS);
		return -EINVAL;
	}
	for (i = 0; i < radios; i++) {
		struct vw_radio *r = vw_radio_create(i);

		if (IS_ERR(r)) {
			err = PTR_ERR(r);
			pr_err("create radio %u: %d\n", i, err);
			goto fail;
		}
		vw_radios[i] = r;
		vw_nradios = i + 1;
	}
	err = netlink_register_notifier(&vw_netlink_nb);
	if (err)
		goto fail;
	err = genl_register_family(&vw_family);
	if (err)
		goto unreg_notifier;
	pr_info("%u radios, family %s\n", vw_nradios, VMR_FAMILY_NAME);
	return 0;

unreg_notifier:
	netlink_unregister_notifier(&vw_netlink_nb);
fail:
	vw_destroy_all();
	return err;
}

static void __exit vw_exit(void)
{
	/* No command runs after this returns; then stop sending to the medium. */
	genl_unregister_family(&vw_family);
	netlink_unregister_notifier(&vw_netlink_nb);
	spin_lock_bh(&vw_medium_lock);
	WRITE_ONCE(vw_portid, 0);
	spin_unlock_bh(&vw_medium_lock);
	vw_destroy_all();
}

module_init(vw_init);
module_exit(vw_exit);

MODULE_AUTHOR("vmedium");
MODULE_DESCRIPTION("cfg80211 FullMAC radios driven by the vmedium userspace medium");
MODULE_LICENSE("Dual MIT/GPL");
