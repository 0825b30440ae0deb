//go:build amd64 && !purego

#include "textflag.h"

// AVX2/FMA float32 kernel of CondMLP (fused_kern.go gemmAcc), for CPUs
// without AVX-512.
//
// func gemm32Avx2Block(c *float32, ldc int, a *float32, ars, acs int, b *float32, ldb, k, nv int)
//
// For the 4 rows i < 4 of C and the first 8·nv columns (nv = 1 or 2):
// C[i·ldc + j] += Σ_{l<k} a[i·ars + l·acs]·b[l·ldb + j], k ≥ 1, one FMA
// per l in order (the rounding of the AVX-512 kernel's four-vector path).
// With nv = 2 the 4×2 YMM accumulators give 8 independent FMA chains per
// 2 loads and 4 broadcasts; nv = 1 runs 4.
TEXT ·gemm32Avx2Block(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	LEAQ (DI)(R8*1), R12
	LEAQ (R12)(R8*1), R13
	LEAQ (R13)(R8*1), R14
	MOVQ a+16(FP), SI
	MOVQ ars+24(FP), R9
	SHLQ $2, R9
	LEAQ (SI)(R9*1), BX
	LEAQ (BX)(R9*1), AX
	ADDQ AX, R9
	MOVQ acs+32(FP), R10
	SHLQ $2, R10
	MOVQ b+40(FP), DX
	MOVQ ldb+48(FP), R11
	SHLQ $2, R11
	MOVQ k+56(FP), CX
	MOVQ nv+64(FP), R8
	CMPQ R8, $1
	JEQ  one
	VMOVUPS 0(DI), Y0
	VMOVUPS 32(DI), Y1
	VMOVUPS 0(R12), Y2
	VMOVUPS 32(R12), Y3
	VMOVUPS 0(R13), Y4
	VMOVUPS 32(R13), Y5
	VMOVUPS 0(R14), Y6
	VMOVUPS 32(R14), Y7

loop2:
	VMOVUPS      0(DX), Y8
	VMOVUPS      32(DX), Y9
	VBROADCASTSS (SI), Y10
	VBROADCASTSS (BX), Y11
	VBROADCASTSS (AX), Y12
	VBROADCASTSS (R9), Y13
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y9, Y10, Y1
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y9, Y11, Y3
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y9, Y12, Y5
	VFMADD231PS  Y8, Y13, Y6
	VFMADD231PS  Y9, Y13, Y7
	ADDQ         R10, SI
	ADDQ         R10, BX
	ADDQ         R10, AX
	ADDQ         R10, R9
	ADDQ         R11, DX
	DECQ         CX
	JNZ          loop2
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y1, 32(DI)
	VMOVUPS      Y2, 0(R12)
	VMOVUPS      Y3, 32(R12)
	VMOVUPS      Y4, 0(R13)
	VMOVUPS      Y5, 32(R13)
	VMOVUPS      Y6, 0(R14)
	VMOVUPS      Y7, 32(R14)
	VZEROUPPER
	RET

one:
	VMOVUPS 0(DI), Y0
	VMOVUPS 0(R12), Y2
	VMOVUPS 0(R13), Y4
	VMOVUPS 0(R14), Y6

loop1:
	VMOVUPS      0(DX), Y8
	VBROADCASTSS (SI), Y10
	VBROADCASTSS (BX), Y11
	VBROADCASTSS (AX), Y12
	VBROADCASTSS (R9), Y13
	VFMADD231PS  Y8, Y10, Y0
	VFMADD231PS  Y8, Y11, Y2
	VFMADD231PS  Y8, Y12, Y4
	VFMADD231PS  Y8, Y13, Y6
	ADDQ         R10, SI
	ADDQ         R10, BX
	ADDQ         R10, AX
	ADDQ         R10, R9
	ADDQ         R11, DX
	DECQ         CX
	JNZ          loop1
	VMOVUPS      Y0, 0(DI)
	VMOVUPS      Y2, 0(R12)
	VMOVUPS      Y4, 0(R13)
	VMOVUPS      Y6, 0(R14)
	VZEROUPPER
	RET

// func vadd32Avx2(dst, x *float32, n int): dst[i] += x[i] for i < n, n a multiple of 8.
TEXT ·vadd32Avx2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   adddone

addloop:
	VMOVUPS (DI), Y0
	VADDPS  (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	DECQ    CX
	JNZ     addloop

adddone:
	VZEROUPPER
	RET

// func vmul32Avx2(dst, x, y *float32, n int): dst[i] = x[i]·y[i] for i < n, n a multiple of 8.
TEXT ·vmul32Avx2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   muldone

mulloop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, SI
	ADDQ    $32, DX
	DECQ    CX
	JNZ     mulloop

muldone:
	VZEROUPPER
	RET
