// SPDX-License-Identifier: MIT

//go:build !amd64

package rsn

// Without the amd64 AES-NI routines CCM uses crypto/aes block by block.
const haveAESNI = false

func encryptBlocksAESNI(*roundKeys, *byte, int)     { panic("rsn: no AES-NI") }
func cbcMACAESNI(*roundKeys, *[16]byte, *byte, int) { panic("rsn: no AES-NI") }

func ccmSealAESNI(*roundKeys, *[16]byte, *byte, *byte, *byte, int) { panic("rsn: no AES-NI") }
func ccmOpenAESNI(*roundKeys, *[16]byte, *byte, *byte, *byte, int) { panic("rsn: no AES-NI") }

func ccmReencAESNI(*roundKeys, *roundKeys, *[16]byte, *[16]byte, *byte, *byte, *byte, *byte, int) {
	panic("rsn: no AES-NI")
}

func cbcMAC4AESNI(*[4]*roundKeys, *[4][16]byte, *[4]*byte, int) { panic("rsn: no AES-NI") }
