// SPDX-License-Identifier: MIT

#include "textflag.h"

// Round keys into X5..X15.
#define LOADKEYS(R) \
	MOVOU 0(R), X5;   \
	MOVOU 16(R), X6;  \
	MOVOU 32(R), X7;  \
	MOVOU 48(R), X8;  \
	MOVOU 64(R), X9;  \
	MOVOU 80(R), X10; \
	MOVOU 96(R), X11; \
	MOVOU 112(R), X12; \
	MOVOU 128(R), X13; \
	MOVOU 144(R), X14; \
	MOVOU 160(R), X15

#define ROUND4(K) \
	AESENC K, X0; \
	AESENC K, X1; \
	AESENC K, X2; \
	AESENC K, X3

#define ROUND1(K, B) AESENC K, B

// func encryptBlocksAESNI(rk *roundKeys, buf *byte, n int)
TEXT ·encryptBlocksAESNI(SB), NOSPLIT, $0-24
	MOVQ rk+0(FP), AX
	MOVQ buf+8(FP), DI
	MOVQ n+16(FP), CX
	LOADKEYS(AX)
loop4:
	CMPQ CX, $4
	JB   loop1
	MOVOU 0(DI), X0
	MOVOU 16(DI), X1
	MOVOU 32(DI), X2
	MOVOU 48(DI), X3
	PXOR X5, X0
	PXOR X5, X1
	PXOR X5, X2
	PXOR X5, X3
	ROUND4(X6)
	ROUND4(X7)
	ROUND4(X8)
	ROUND4(X9)
	ROUND4(X10)
	ROUND4(X11)
	ROUND4(X12)
	ROUND4(X13)
	ROUND4(X14)
	AESENCLAST X15, X0
	AESENCLAST X15, X1
	AESENCLAST X15, X2
	AESENCLAST X15, X3
	MOVOU X0, 0(DI)
	MOVOU X1, 16(DI)
	MOVOU X2, 32(DI)
	MOVOU X3, 48(DI)
	ADDQ $64, DI
	SUBQ $4, CX
	JMP  loop4
loop1:
	CMPQ CX, $0
	JE   done
	MOVOU 0(DI), X0
	PXOR X5, X0
	ROUND1(X6, X0)
	ROUND1(X7, X0)
	ROUND1(X8, X0)
	ROUND1(X9, X0)
	ROUND1(X10, X0)
	ROUND1(X11, X0)
	ROUND1(X12, X0)
	ROUND1(X13, X0)
	ROUND1(X14, X0)
	AESENCLAST X15, X0
	MOVOU X0, 0(DI)
	ADDQ $16, DI
	DECQ CX
	JMP  loop1
done:
	RET

// func cbcMACAESNI(rk *roundKeys, x *[16]byte, data *byte, n int)
TEXT ·cbcMACAESNI(SB), NOSPLIT, $0-32
	MOVQ rk+0(FP), AX
	MOVQ x+8(FP), BX
	MOVQ data+16(FP), SI
	MOVQ n+24(FP), CX
	LOADKEYS(AX)
	MOVOU 0(BX), X0
mloop:
	CMPQ CX, $0
	JE   mdone
	MOVOU 0(SI), X1
	PXOR X1, X0
	PXOR X5, X0
	ROUND1(X6, X0)
	ROUND1(X7, X0)
	ROUND1(X8, X0)
	ROUND1(X9, X0)
	ROUND1(X10, X0)
	ROUND1(X11, X0)
	ROUND1(X12, X0)
	ROUND1(X13, X0)
	ROUND1(X14, X0)
	AESENCLAST X15, X0
	ADDQ $16, SI
	DECQ CX
	JMP  mloop
mdone:
	MOVOU X0, 0(BX)
	RET

// Two independent chains, X0 and X1, one round each in turn: the CPU
// runs them in parallel, so the second costs (almost) nothing.
#define ROUND2(K) \
	AESENC K, X0; \
	AESENC K, X1

#define AES2 \
	PXOR X5, X0;  \
	PXOR X5, X1;  \
	ROUND2(X6);   \
	ROUND2(X7);   \
	ROUND2(X8);   \
	ROUND2(X9);   \
	ROUND2(X10);  \
	ROUND2(X11);  \
	ROUND2(X12);  \
	ROUND2(X13);  \
	ROUND2(X14);  \
	AESENCLAST X15, X0; \
	AESENCLAST X15, X1

// func ccmSealAESNI(rk *roundKeys, x *[16]byte, ctr, dst, src *byte, n int)
// For each of n whole blocks: the CBC-MAC x = E(x ^ P_i) and the key
// stream S_i = E(A_i) (counter blocks at ctr) in one interleaved pass;
// dst_i = P_i ^ S_i. dst may equal src.
TEXT ·ccmSealAESNI(SB), NOSPLIT, $0-48
	MOVQ rk+0(FP), AX
	MOVQ x+8(FP), BX
	MOVQ ctr+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ src+32(FP), SI
	MOVQ n+40(FP), CX
	LOADKEYS(AX)
	MOVOU 0(BX), X0
sloop:
	CMPQ CX, $0
	JE   sdone
	MOVOU 0(SI), X2
	MOVOU 0(DX), X1
	PXOR X2, X0
	AES2
	PXOR X2, X1
	MOVOU X1, 0(DI)
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, DX
	DECQ CX
	JMP  sloop
sdone:
	MOVOU X0, 0(BX)
	RET

// func ccmOpenAESNI(rk *roundKeys, x *[16]byte, ctr, dst, src *byte, n int)
// Decrypts n whole blocks (P_i = C_i ^ S_i, written to dst) and runs the
// CBC-MAC over the plaintext, pipelined: the key stream block of the
// next block is computed alongside the MAC of this one. ctr holds n+1
// counter blocks; the last key stream block S_{n+1} (for a partial tail)
// is written back over ctr[n]. dst may be src or start before it.
TEXT ·ccmOpenAESNI(SB), NOSPLIT, $0-48
	MOVQ rk+0(FP), AX
	MOVQ x+8(FP), BX
	MOVQ ctr+16(FP), DX
	MOVQ dst+24(FP), DI
	MOVQ src+32(FP), SI
	MOVQ n+40(FP), CX
	LOADKEYS(AX)
	MOVOU 0(BX), X0
	// S_1 alone.
	MOVOU 0(DX), X1
	PXOR X5, X1
	ROUND1(X6, X1)
	ROUND1(X7, X1)
	ROUND1(X8, X1)
	ROUND1(X9, X1)
	ROUND1(X10, X1)
	ROUND1(X11, X1)
	ROUND1(X12, X1)
	ROUND1(X13, X1)
	ROUND1(X14, X1)
	AESENCLAST X15, X1
	ADDQ $16, DX
oloop:
	CMPQ CX, $0
	JE   odone
	MOVOU 0(SI), X2
	PXOR X1, X2
	MOVOU X2, 0(DI)
	PXOR X2, X0
	MOVOU 0(DX), X1
	AES2
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, DX
	DECQ CX
	JMP  oloop
odone:
	MOVOU X0, 0(BX)
	MOVOU X1, -16(DX)
	RET

// One round of the four chains of ccmReencAESNI: X0 (MAC, key 1) and X2
// (CTR, key 1) with the round key in register K1; X1 (MAC, key 2) and X3
// (CTR, key 2) with key 2's round key loaded from OFF(R8) into X4.
#define ROUNDRE(K1, OFF) \
	AESENC K1, X0;       \
	AESENC K1, X2;       \
	MOVOU OFF(R8), X4;   \
	AESENC X4, X1;       \
	AESENC X4, X3

// func ccmReencAESNI(rk1, rk2 *roundKeys, x1, x2 *[16]byte, ctr1, ctr2, dst, src *byte, n int)
// Re-encrypts n whole blocks from key 1 to key 2 in one pass: P_i =
// C_i ^ S1_i (S1 pipelined one block ahead, as in ccmOpenAESNI), both
// CBC-MACs over P_i, and C'_i = P_i ^ S2_i, four independent AES chains
// per block. ctr1 holds n+1 counter blocks (S1_{n+1} is written back over
// ctr1[n]), ctr2 n. dst must not overlap src.
TEXT ·ccmReencAESNI(SB), NOSPLIT, $0-72
	MOVQ rk1+0(FP), AX
	MOVQ rk2+8(FP), R8
	MOVQ x1+16(FP), BX
	MOVQ x2+24(FP), R9
	MOVQ ctr1+32(FP), DX
	MOVQ ctr2+40(FP), R10
	MOVQ dst+48(FP), DI
	MOVQ src+56(FP), SI
	MOVQ n+64(FP), CX
	LOADKEYS(AX)
	MOVOU 0(BX), X0
	MOVOU 0(R9), X1
	// S1_1 alone.
	MOVOU 0(DX), X2
	PXOR X5, X2
	ROUND1(X6, X2)
	ROUND1(X7, X2)
	ROUND1(X8, X2)
	ROUND1(X9, X2)
	ROUND1(X10, X2)
	ROUND1(X11, X2)
	ROUND1(X12, X2)
	ROUND1(X13, X2)
	ROUND1(X14, X2)
	AESENCLAST X15, X2
	ADDQ $16, DX
rloop:
	CMPQ CX, $0
	JE   rdone
	MOVOU 0(SI), X4
	PXOR X2, X4
	MOVOU X4, 0(DI)
	PXOR X4, X0
	PXOR X4, X1
	MOVOU 0(DX), X2
	MOVOU 0(R10), X3
	PXOR X5, X0
	PXOR X5, X2
	MOVOU 0(R8), X4
	PXOR X4, X1
	PXOR X4, X3
	ROUNDRE(X6, 16)
	ROUNDRE(X7, 32)
	ROUNDRE(X8, 48)
	ROUNDRE(X9, 64)
	ROUNDRE(X10, 80)
	ROUNDRE(X11, 96)
	ROUNDRE(X12, 112)
	ROUNDRE(X13, 128)
	ROUNDRE(X14, 144)
	AESENCLAST X15, X0
	AESENCLAST X15, X2
	MOVOU 160(R8), X4
	AESENCLAST X4, X1
	AESENCLAST X4, X3
	MOVOU 0(DI), X4
	PXOR X4, X3
	MOVOU X3, 0(DI)
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, DX
	ADDQ $16, R10
	DECQ CX
	JMP  rloop
rdone:
	MOVOU X0, 0(BX)
	MOVOU X1, 0(R9)
	MOVOU X2, -16(DX)
	RET

// Four independent CBC-MAC chains (X0..X3), each with its own key: one
// round of each in turn, so the four AESENC latencies overlap and four
// chains cost about what one does. The round keys are loaded from memory
// per round (MOVOU: no alignment needed), as four key schedules do not fit
// in the registers.
#define MACROUND4(off) \
	MOVOU off(R8), X4;  \
	MOVOU off(R9), X5;  \
	MOVOU off(R10), X6; \
	MOVOU off(R11), X7; \
	AESENC X4, X0;      \
	AESENC X5, X1;      \
	AESENC X6, X2;      \
	AESENC X7, X3

// func cbcMAC4AESNI(rk *[4]*roundKeys, x *[4][16]byte, data *[4]*byte, n int)
// Continues chain i (state x[i], key rk[i]) over n whole blocks at data[i].
TEXT ·cbcMAC4AESNI(SB), NOSPLIT, $0-32
	MOVQ rk+0(FP), AX
	MOVQ 0(AX), R8
	MOVQ 8(AX), R9
	MOVQ 16(AX), R10
	MOVQ 24(AX), R11
	MOVQ x+8(FP), BX
	MOVOU 0(BX), X0
	MOVOU 16(BX), X1
	MOVOU 32(BX), X2
	MOVOU 48(BX), X3
	MOVQ data+16(FP), AX
	MOVQ 0(AX), SI
	MOVQ 8(AX), DI
	MOVQ 16(AX), R12
	MOVQ 24(AX), R13
	MOVQ n+24(FP), CX
m4loop:
	CMPQ CX, $0
	JE   m4done
	MOVOU 0(SI), X4
	MOVOU 0(DI), X5
	MOVOU 0(R12), X6
	MOVOU 0(R13), X7
	PXOR X4, X0
	PXOR X5, X1
	PXOR X6, X2
	PXOR X7, X3
	MOVOU 0(R8), X4
	MOVOU 0(R9), X5
	MOVOU 0(R10), X6
	MOVOU 0(R11), X7
	PXOR X4, X0
	PXOR X5, X1
	PXOR X6, X2
	PXOR X7, X3
	MACROUND4(16)
	MACROUND4(32)
	MACROUND4(48)
	MACROUND4(64)
	MACROUND4(80)
	MACROUND4(96)
	MACROUND4(112)
	MACROUND4(128)
	MACROUND4(144)
	MOVOU 160(R8), X4
	MOVOU 160(R9), X5
	MOVOU 160(R10), X6
	MOVOU 160(R11), X7
	AESENCLAST X4, X0
	AESENCLAST X5, X1
	AESENCLAST X6, X2
	AESENCLAST X7, X3
	ADDQ $16, SI
	ADDQ $16, DI
	ADDQ $16, R12
	ADDQ $16, R13
	DECQ CX
	JMP  m4loop
m4done:
	MOVOU X0, 0(BX)
	MOVOU X1, 16(BX)
	MOVOU X2, 32(BX)
	MOVOU X3, 48(BX)
	RET
