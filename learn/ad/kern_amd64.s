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

// func dotsKern(c, a, bt *float64, m, n, k int, maskK, maskN *int64)
//
// c[i·n + j] += Σ_{l<k} a[i·k + l]·bt[j·k + l] for i < m, j < n: a product
// with a narrow output (n = 2…7) as dot products along the contiguous k,
// four output columns at a time (4 accumulators, plus 4 for odd steps of 4
// in l to hide FMA latency), reduced with VHADDPD. bt must hold pad4(n) rows
// of k (the pad rows are read but their sums are not stored); the last
// k mod 4 values use masked loads (maskK selects the first k mod 4 lanes) and
// the last n mod 4 columns a masked update of c (maskN), so nothing past a
// row of a or c is touched.
TEXT ·dotsKern(SB), NOSPLIT, $0-64
	MOVQ    maskK+48(FP), AX
	VMOVUPD (AX), Y14
	MOVQ    maskN+56(FP), AX
	VMOVUPD (AX), Y15
	MOVQ    c+0(FP), DX
	MOVQ    a+8(FP), SI
	MOVQ    n+32(FP), R9
	MOVQ    k+40(FP), R10
	MOVQ    R10, BX
	SHLQ    $3, BX         // bytes per row of a and bt

drow:
	CMPQ m+24(FP), $0
	JEQ  ddone
	MOVQ DX, DI            // c block pointer
	MOVQ bt+16(FP), R8     // bt block pointer (rows j … j+3)
	MOVQ R9, R11           // columns left

dblk:
	TESTQ  R11, R11
	JLE    dnext
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   SI, AX
	MOVQ   R8, R12
	LEAQ   (R8)(BX*2), R13
	MOVQ   R10, CX

dl8:
	CMPQ        CX, $8
	JL          dl4
	VMOVUPD     (AX), Y8
	VFMADD231PD (R12), Y8, Y0
	VFMADD231PD (R12)(BX*1), Y8, Y1
	VFMADD231PD (R13), Y8, Y2
	VFMADD231PD (R13)(BX*1), Y8, Y3
	VMOVUPD     32(AX), Y9
	VFMADD231PD 32(R12), Y9, Y4
	VFMADD231PD 32(R12)(BX*1), Y9, Y5
	VFMADD231PD 32(R13), Y9, Y6
	VFMADD231PD 32(R13)(BX*1), Y9, Y7
	ADDQ        $64, AX
	ADDQ        $64, R12
	ADDQ        $64, R13
	SUBQ        $8, CX
	JMP         dl8

dl4:
	CMPQ        CX, $4
	JL          dlt
	VMOVUPD     (AX), Y8
	VFMADD231PD (R12), Y8, Y0
	VFMADD231PD (R12)(BX*1), Y8, Y1
	VFMADD231PD (R13), Y8, Y2
	VFMADD231PD (R13)(BX*1), Y8, Y3
	ADDQ        $32, AX
	ADDQ        $32, R12
	ADDQ        $32, R13
	SUBQ        $4, CX

dlt:
	TESTQ       CX, CX
	JE          dred
	VMASKMOVPD  (AX), Y14, Y8
	VMASKMOVPD  (R12), Y14, Y9
	VFMADD231PD Y9, Y8, Y4
	VMASKMOVPD  (R12)(BX*1), Y14, Y9
	VFMADD231PD Y9, Y8, Y5
	VMASKMOVPD  (R13), Y14, Y9
	VFMADD231PD Y9, Y8, Y6
	VMASKMOVPD  (R13)(BX*1), Y14, Y9
	VFMADD231PD Y9, Y8, Y7

dred:
	VADDPD     Y4, Y0, Y0
	VADDPD     Y5, Y1, Y1
	VADDPD     Y6, Y2, Y2
	VADDPD     Y7, Y3, Y3
	VHADDPD    Y1, Y0, Y0        // [s0(01) s1(01) s0(23) s1(23)]
	VHADDPD    Y3, Y2, Y2        // [s2(01) s3(01) s2(23) s3(23)]
	VPERM2F128 $0x21, Y2, Y0, Y10 // [s0(23) s1(23) s2(01) s3(01)]
	VBLENDPD   $0x0c, Y2, Y0, Y11 // [s0(01) s1(01) s2(23) s3(23)]
	VADDPD     Y10, Y11, Y0      // [s0 s1 s2 s3]
	CMPQ       R11, $4
	JL         dpart
	VADDPD     (DI), Y0, Y0
	VMOVUPD    Y0, (DI)
	JMP        dadv

dpart:
	VMASKMOVPD (DI), Y15, Y1
	VADDPD     Y1, Y0, Y0
	VMASKMOVPD Y0, Y15, (DI)

dadv:
	ADDQ $32, DI
	LEAQ (R8)(BX*4), R8
	SUBQ $4, R11
	JMP  dblk

dnext:
	LEAQ (DX)(R9*8), DX
	ADDQ BX, SI
	DECQ m+24(FP)
	JMP  drow

ddone:
	VZEROUPPER
	RET
