//go:build amd64 && !purego

#include "textflag.h"

// func kernAxpyMask(c, init, a, b *float64, n, k, as, ldb int, mask *int64)
//
// For j in [0, n): c[j] = init[j] + Σ_{l<k} a[l·as] · b[l·ldb + j]; init = c
// accumulates, init = a bias row writes a fresh affine output in one pass.
// Columns go in blocks of 16 held in four YMM accumulators (two sets, for
// even and odd l, to hide FMA latency), then blocks of 4, then the last
// n mod 4 columns with masked loads and stores (mask points at 4 int64 whose
// first n mod 4 are −1), which never touch memory past the row.
TEXT ·kernAxpyMask(SB), NOSPLIT, $0-72
	MOVQ c+0(FP), DI
	MOVQ init+8(FP), BX
	MOVQ a+16(FP), SI
	MOVQ b+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), R8
	MOVQ as+48(FP), R9
	MOVQ ldb+56(FP), R10
	SHLQ $3, R9
	SHLQ $3, R10

loop16:
	CMPQ CX, $16
	JL   loop4
	VMOVUPD 0(BX), Y0
	VMOVUPD 32(BX), Y1
	VMOVUPD 64(BX), Y2
	VMOVUPD 96(BX), Y3
	VXORPD  Y5, Y5, Y5
	VXORPD  Y6, Y6, Y6
	VXORPD  Y7, Y7, Y7
	VXORPD  Y8, Y8, Y8
	MOVQ    SI, R11
	MOVQ    DX, R12
	MOVQ    R8, R13

k16pair:
	CMPQ R13, $2
	JL   k16one
	VBROADCASTSD (R11), Y4
	VFMADD231PD  0(R12), Y4, Y0
	VFMADD231PD  32(R12), Y4, Y1
	VFMADD231PD  64(R12), Y4, Y2
	VFMADD231PD  96(R12), Y4, Y3
	ADDQ         R9, R11
	ADDQ         R10, R12
	VBROADCASTSD (R11), Y9
	VFMADD231PD  0(R12), Y9, Y5
	VFMADD231PD  32(R12), Y9, Y6
	VFMADD231PD  64(R12), Y9, Y7
	VFMADD231PD  96(R12), Y9, Y8
	ADDQ         R9, R11
	ADDQ         R10, R12
	SUBQ         $2, R13
	JMP          k16pair

k16one:
	TESTQ        R13, R13
	JE           store16
	VBROADCASTSD (R11), Y4
	VFMADD231PD  0(R12), Y4, Y0
	VFMADD231PD  32(R12), Y4, Y1
	VFMADD231PD  64(R12), Y4, Y2
	VFMADD231PD  96(R12), Y4, Y3

store16:
	VADDPD  Y5, Y0, Y0
	VADDPD  Y6, Y1, Y1
	VADDPD  Y7, Y2, Y2
	VADDPD  Y8, Y3, Y3
	VMOVUPD Y0, 0(DI)
	VMOVUPD Y1, 32(DI)
	VMOVUPD Y2, 64(DI)
	VMOVUPD Y3, 96(DI)
	ADDQ    $128, DI
	ADDQ    $128, BX
	ADDQ    $128, DX
	SUBQ    $16, CX
	JMP     loop16

loop4:
	CMPQ    CX, $4
	JL      tail
	VMOVUPD (BX), Y0
	VXORPD  Y5, Y5, Y5
	MOVQ    SI, R11
	MOVQ    DX, R12
	MOVQ    R8, R13

k4pair:
	CMPQ         R13, $2
	JL           k4one
	VBROADCASTSD (R11), Y4
	VFMADD231PD  (R12), Y4, Y0
	ADDQ         R9, R11
	ADDQ         R10, R12
	VBROADCASTSD (R11), Y9
	VFMADD231PD  (R12), Y9, Y5
	ADDQ         R9, R11
	ADDQ         R10, R12
	SUBQ         $2, R13
	JMP          k4pair

k4one:
	TESTQ        R13, R13
	JE           store4
	VBROADCASTSD (R11), Y4
	VFMADD231PD  (R12), Y4, Y0

store4:
	VADDPD  Y5, Y0, Y0
	VMOVUPD Y0, (DI)
	ADDQ    $32, DI
	ADDQ    $32, BX
	ADDQ    $32, DX
	SUBQ    $4, CX
	JMP     loop4

tail:
	TESTQ      CX, CX
	JE         done
	MOVQ       mask+64(FP), AX
	VMOVUPD    (AX), Y15
	VMASKMOVPD (BX), Y15, Y0
	VXORPD     Y5, Y5, Y5
	MOVQ       SI, R11
	MOVQ       DX, R12
	MOVQ       R8, R13

ktpair:
	CMPQ         R13, $2
	JL           ktone
	VBROADCASTSD (R11), Y4
	VMASKMOVPD   (R12), Y15, Y6
	VFMADD231PD  Y6, Y4, Y0
	ADDQ         R9, R11
	ADDQ         R10, R12
	VBROADCASTSD (R11), Y9
	VMASKMOVPD   (R12), Y15, Y7
	VFMADD231PD  Y7, Y9, Y5
	ADDQ         R9, R11
	ADDQ         R10, R12
	SUBQ         $2, R13
	JMP          ktpair

ktone:
	TESTQ        R13, R13
	JE           storet
	VBROADCASTSD (R11), Y4
	VMASKMOVPD   (R12), Y15, Y6
	VFMADD231PD  Y6, Y4, Y0

storet:
	VADDPD     Y5, Y0, Y0
	VMASKMOVPD Y0, Y15, (DI)

done:
	VZEROUPPER
	RET

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func reluKern(dst, src *float64, n int)
//
// dst[i] = max(0, src[i]) for i < n, n a multiple of 4. MAXPD returns its
// second source when either is NaN, so NaN propagates.
TEXT ·reluKern(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPD Y1, Y1, Y1

rloop:
	CMPQ    CX, $4
	JL      rdone
	VMOVUPD (SI), Y0
	VMAXPD  Y0, Y1, Y0 // Intel: max(src1 = 0, src2 = x)
	VMOVUPD Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $4, CX
	JMP     rloop

rdone:
	VZEROUPPER
	RET

// func reluMaskKern(dz, dy, y *float64, n int)
//
// dz[i] = dy[i] if y[i] > 0 else 0, for i < n, n a multiple of 4.
TEXT ·reluMaskKern(SB), NOSPLIT, $0-32
	MOVQ   dz+0(FP), DI
	MOVQ   dy+8(FP), SI
	MOVQ   y+16(FP), DX
	MOVQ   n+24(FP), CX
	VXORPD Y1, Y1, Y1

mloop:
	CMPQ    CX, $4
	JL      mdone
	VMOVUPD (DX), Y0
	VCMPPD  $0x1e, Y1, Y0, Y2 // y > 0 (GT_OQ; false for NaN)
	VANDPD  (SI), Y2, Y2
	VMOVUPD Y2, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	ADDQ    $32, DX
	SUBQ    $4, CX
	JMP     mloop

mdone:
	VZEROUPPER
	RET
