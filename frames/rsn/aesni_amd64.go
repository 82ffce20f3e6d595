// SPDX-License-Identifier: MIT

package rsn

import "golang.org/x/sys/cpu"

// haveAESNI: the CPU has the AES instructions (and SSE2 for the rest).
var haveAESNI = cpu.X86.HasAES && cpu.X86.HasSSE2

// encryptBlocksAESNI encrypts n 16-byte blocks at buf in place (ECB), four
// at a time so the AES units overlap them.
//
//go:noescape
func encryptBlocksAESNI(rk *roundKeys, buf *byte, n int)

// cbcMACAESNI continues the CBC-MAC in x over n whole blocks at data.
//
//go:noescape
func cbcMACAESNI(rk *roundKeys, x *[16]byte, data *byte, n int)

// ccmSealAESNI runs CCM encryption over n whole blocks: CBC-MAC in x and
// CTR with the counter blocks at ctr, interleaved.
//
//go:noescape
func ccmSealAESNI(rk *roundKeys, x *[16]byte, ctr, dst, src *byte, n int)

// ccmOpenAESNI runs CCM decryption over n whole blocks, pipelined; it
// leaves the key stream block after them in place of ctr's last block.
//
//go:noescape
func ccmOpenAESNI(rk *roundKeys, x *[16]byte, ctr, dst, src *byte, n int)

// ccmReencAESNI re-encrypts n whole blocks from key 1 to key 2 in one
// pass (both MACs over the plaintext, both key streams interleaved).
//
//go:noescape
func ccmReencAESNI(rk1, rk2 *roundKeys, x1, x2 *[16]byte, ctr1, ctr2, dst, src *byte, n int)

// cbcMAC4AESNI continues four CBC-MACs at once: chain i (state x[i], key
// rk[i]) over n whole blocks at data[i], the four interleaved.
//
//go:noescape
func cbcMAC4AESNI(rk *[4]*roundKeys, x *[4][16]byte, data *[4]*byte, n int)
