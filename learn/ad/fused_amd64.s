//go:build amd64 && !purego

#include "textflag.h"

// AVX-512F kernels of CondMLP (fused.go, fused_kern.go).
//
// func gemm32Block(c *float32, ldc int, a *float32, ars, acs int, b *float32, ldb, k int, masks uint64, nv int)
// func gemm64Block(c *float64, ldc int, a *float64, ars, acs int, b *float64, ldb, k int, masks uint64, nv int)
//
// For the 4 rows i < 4 of C and the columns selected by masks (16 bits per
// ZMM vector, four vectors: 64 float32 or 32 float64 columns):
// C[i·ldc + j] += Σ_{l<k} a[i·ars + l·acs]·b[l·ldb + j], k ≥ 1. The 4×4
// ZMM accumulators stay in registers for the whole k loop (16 independent
// FMA chains, 4 vector loads and 4 broadcasts per 16 FMAs). With nv = 1 only
// the first vector is used and k is unrolled by two into a second set of
// accumulators, to keep 8 chains in flight. Masked lanes are neither loaded
// nor stored. The float32 and float64 kernels are one macro each, given the
// instructions of the element type and the log2 of its size.

#define GEMMBLOCK(SH, MOVZ, MOVU, BCAST, FMA, ADD) \
	MOVQ masks+64(FP), AX; \
	KMOVW AX, K1; \
	SHRQ $16, AX; \
	KMOVW AX, K2; \
	SHRQ $16, AX; \
	KMOVW AX, K3; \
	SHRQ $16, AX; \
	KMOVW AX, K4; \
	MOVQ c+0(FP), DI; \
	MOVQ ldc+8(FP), R8; \
	SHLQ $SH, R8; \
	LEAQ (DI)(R8*1), R12; \
	LEAQ (R12)(R8*1), R13; \
	LEAQ (R13)(R8*1), R14; \
	MOVQ a+16(FP), SI; \
	MOVQ ars+24(FP), R9; \
	SHLQ $SH, R9; \
	LEAQ (SI)(R9*1), BX; \
	LEAQ (BX)(R9*1), AX; \
	ADDQ AX, R9; \
	MOVQ acs+32(FP), R10; \
	SHLQ $SH, R10; \
	MOVQ b+40(FP), DX; \
	MOVQ ldb+48(FP), R11; \
	SHLQ $SH, R11; \
	MOVQ k+56(FP), CX; \
	MOVQ nv+72(FP), R8; \
	CMPQ R8, $1; \
	JEQ  one; \
	MOVZ 0(DI), K1, Z0; \
	MOVZ 64(DI), K2, Z1; \
	MOVZ 128(DI), K3, Z2; \
	MOVZ 192(DI), K4, Z3; \
	MOVZ 0(R12), K1, Z4; \
	MOVZ 64(R12), K2, Z5; \
	MOVZ 128(R12), K3, Z6; \
	MOVZ 192(R12), K4, Z7; \
	MOVZ 0(R13), K1, Z8; \
	MOVZ 64(R13), K2, Z9; \
	MOVZ 128(R13), K3, Z10; \
	MOVZ 192(R13), K4, Z11; \
	MOVZ 0(R14), K1, Z12; \
	MOVZ 64(R14), K2, Z13; \
	MOVZ 128(R14), K3, Z14; \
	MOVZ 192(R14), K4, Z15; \
loop4: \
	MOVZ 0(DX), K1, Z16; \
	MOVZ 64(DX), K2, Z17; \
	MOVZ 128(DX), K3, Z18; \
	MOVZ 192(DX), K4, Z19; \
	BCAST (SI), Z20; \
	BCAST (BX), Z21; \
	BCAST (AX), Z22; \
	BCAST (R9), Z23; \
	FMA Z16, Z20, Z0; \
	FMA Z17, Z20, Z1; \
	FMA Z18, Z20, Z2; \
	FMA Z19, Z20, Z3; \
	FMA Z16, Z21, Z4; \
	FMA Z17, Z21, Z5; \
	FMA Z18, Z21, Z6; \
	FMA Z19, Z21, Z7; \
	FMA Z16, Z22, Z8; \
	FMA Z17, Z22, Z9; \
	FMA Z18, Z22, Z10; \
	FMA Z19, Z22, Z11; \
	FMA Z16, Z23, Z12; \
	FMA Z17, Z23, Z13; \
	FMA Z18, Z23, Z14; \
	FMA Z19, Z23, Z15; \
	ADDQ R10, SI; \
	ADDQ R10, BX; \
	ADDQ R10, AX; \
	ADDQ R10, R9; \
	ADDQ R11, DX; \
	DECQ CX; \
	JNZ  loop4; \
	MOVU Z0, K1, 0(DI); \
	MOVU Z1, K2, 64(DI); \
	MOVU Z2, K3, 128(DI); \
	MOVU Z3, K4, 192(DI); \
	MOVU Z4, K1, 0(R12); \
	MOVU Z5, K2, 64(R12); \
	MOVU Z6, K3, 128(R12); \
	MOVU Z7, K4, 192(R12); \
	MOVU Z8, K1, 0(R13); \
	MOVU Z9, K2, 64(R13); \
	MOVU Z10, K3, 128(R13); \
	MOVU Z11, K4, 192(R13); \
	MOVU Z12, K1, 0(R14); \
	MOVU Z13, K2, 64(R14); \
	MOVU Z14, K3, 128(R14); \
	MOVU Z15, K4, 192(R14); \
	VZEROUPPER; \
	RET; \
one: \
	MOVZ (DI), K1, Z0; \
	VPXORD Z4, Z4, Z4; \
	MOVZ (R12), K1, Z1; \
	VPXORD Z5, Z5, Z5; \
	MOVZ (R13), K1, Z2; \
	VPXORD Z6, Z6, Z6; \
	MOVZ (R14), K1, Z3; \
	VPXORD Z7, Z7, Z7; \
pair1: \
	CMPQ CX, $2; \
	JLT  tail1; \
	MOVZ (DX), K1, Z16; \
	MOVZ (DX)(R11*1), K1, Z17; \
	BCAST (SI), Z20; \
	BCAST (BX), Z21; \
	BCAST (AX), Z22; \
	BCAST (R9), Z23; \
	FMA Z16, Z20, Z0; \
	FMA Z16, Z21, Z1; \
	FMA Z16, Z22, Z2; \
	FMA Z16, Z23, Z3; \
	BCAST (SI)(R10*1), Z24; \
	BCAST (BX)(R10*1), Z25; \
	BCAST (AX)(R10*1), Z26; \
	BCAST (R9)(R10*1), Z27; \
	FMA Z17, Z24, Z4; \
	FMA Z17, Z25, Z5; \
	FMA Z17, Z26, Z6; \
	FMA Z17, Z27, Z7; \
	LEAQ (SI)(R10*2), SI; \
	LEAQ (BX)(R10*2), BX; \
	LEAQ (AX)(R10*2), AX; \
	LEAQ (R9)(R10*2), R9; \
	LEAQ (DX)(R11*2), DX; \
	SUBQ $2, CX; \
	JMP  pair1; \
tail1: \
	TESTQ CX, CX; \
	JZ    done1; \
	MOVZ (DX), K1, Z16; \
	BCAST (SI), Z20; \
	BCAST (BX), Z21; \
	BCAST (AX), Z22; \
	BCAST (R9), Z23; \
	FMA Z16, Z20, Z0; \
	FMA Z16, Z21, Z1; \
	FMA Z16, Z22, Z2; \
	FMA Z16, Z23, Z3; \
done1: \
	ADD Z4, Z0, Z0; \
	MOVU Z0, K1, (DI); \
	ADD Z5, Z1, Z1; \
	MOVU Z1, K1, (R12); \
	ADD Z6, Z2, Z2; \
	MOVU Z2, K1, (R13); \
	ADD Z7, Z3, Z3; \
	MOVU Z3, K1, (R14); \
	VZEROUPPER; \
	RET


// BINOP sets dst[i] = x[i] OP y[i] for i < CX (DI = dst, SI = x, DX = y),
// LANES at a time, the tail masked.
#define BINOP(LANES, MOVZ, MOVU, MUL) \
loop: \
	CMPQ CX, $LANES; \
	JLT  tail; \
	MOVU (SI), Z0; \
	MUL (DX), Z0, Z0; \
	MOVU Z0, (DI); \
	ADDQ $64, DI; \
	ADDQ $64, SI; \
	ADDQ $64, DX; \
	SUBQ $LANES, CX; \
	JMP  loop; \
tail: \
	TESTQ CX, CX; \
	JZ    done; \
	MOVQ  $1, AX; \
	SHLQ  CX, AX; \
	DECQ  AX; \
	KMOVW AX, K1; \
	MOVZ (SI), K1, Z0; \
	MOVZ (DX), K1, Z1; \
	MUL Z1, Z0, Z0; \
	MOVU Z0, K1, (DI); \
done: \
	VZEROUPPER; \
	RET

// TABARGS loads the arguments of gatherAdd/scatterAdd (SH = log2 of the
// element size) and returns at once for rows = 0.
#define TABARGS(SH) \
	MOVQ masks+48(FP), AX; \
	KMOVW AX, K1; \
	SHRQ $16, AX; \
	KMOVW AX, K2; \
	SHRQ $16, AX; \
	KMOVW AX, K3; \
	SHRQ $16, AX; \
	KMOVW AX, K4; \
	MOVQ seq+0(FP), DI; \
	MOVQ tab+8(FP), SI; \
	MOVQ keys+16(FP), DX; \
	MOVQ kstride+24(FP), R8; \
	SHLQ $3, R8; \
	MOVQ rows+32(FP), CX; \
	MOVQ width+40(FP), R9; \
	SHLQ $SH, R9; \
	TESTQ CX, CX; \
	JZ   done

#define GATHERROWS(SH, MOVZ, MOVU, ADD) \
	TABARGS(SH); \
loop: \
	MOVQ (DX), AX; \
	IMULQ R9, AX; \
	ADDQ SI, AX; \
	MOVZ 0(DI), K1, Z0; \
	MOVZ 0(AX), K1, Z4; \
	ADD Z4, Z0, Z0; \
	MOVZ 64(DI), K2, Z1; \
	MOVZ 64(AX), K2, Z5; \
	ADD Z5, Z1, Z1; \
	MOVZ 128(DI), K3, Z2; \
	MOVZ 128(AX), K3, Z6; \
	ADD Z6, Z2, Z2; \
	MOVZ 192(DI), K4, Z3; \
	MOVZ 192(AX), K4, Z7; \
	ADD Z7, Z3, Z3; \
	MOVU Z0, K1, 0(DI); \
	MOVU Z1, K2, 64(DI); \
	MOVU Z2, K3, 128(DI); \
	MOVU Z3, K4, 192(DI); \
	ADDQ R9, DI; \
	ADDQ R8, DX; \
	DECQ CX; \
	JNZ  loop; \
done: \
	VZEROUPPER; \
	RET

// FLUSHRUN adds the run sum Z0–Z3 to table row R10 (row bytes R9, table SI).
#define FLUSHRUN(MOVZ, MOVU, ADD) \
	MOVQ R10, BX; \
	IMULQ R9, BX; \
	ADDQ SI, BX; \
	MOVZ 0(BX), K1, Z4; \
	ADD Z0, Z4, Z4; \
	MOVU Z4, K1, 0(BX); \
	MOVZ 64(BX), K2, Z5; \
	ADD Z1, Z5, Z5; \
	MOVU Z5, K2, 64(BX); \
	MOVZ 128(BX), K3, Z6; \
	ADD Z2, Z6, Z6; \
	MOVU Z6, K3, 128(BX); \
	MOVZ 192(BX), K4, Z7; \
	ADD Z3, Z7, Z7; \
	MOVU Z7, K4, 192(BX)

#define SCATTERROWS(SH, MOVZ, MOVU, ADD, XOR) \
	TABARGS(SH); \
	MOVQ $-1, R10; \
	XOR Z0, Z0, Z0; \
	XOR Z1, Z1, Z1; \
	XOR Z2, Z2, Z2; \
	XOR Z3, Z3, Z3; \
loop: \
	MOVQ (DX), AX; \
	CMPQ AX, R10; \
	JEQ  acc; \
	TESTQ R10, R10; \
	JS   start; \
	FLUSHRUN(MOVZ, MOVU, ADD); \
start: \
	MOVQ AX, R10; \
	XOR Z0, Z0, Z0; \
	XOR Z1, Z1, Z1; \
	XOR Z2, Z2, Z2; \
	XOR Z3, Z3, Z3; \
acc: \
	MOVZ 0(DI), K1, Z4; \
	ADD Z4, Z0, Z0; \
	MOVZ 64(DI), K2, Z5; \
	ADD Z5, Z1, Z1; \
	MOVZ 128(DI), K3, Z6; \
	ADD Z6, Z2, Z2; \
	MOVZ 192(DI), K4, Z7; \
	ADD Z7, Z3, Z3; \
	ADDQ R9, DI; \
	ADDQ R8, DX; \
	DECQ CX; \
	JNZ  loop; \
	FLUSHRUN(MOVZ, MOVU, ADD); \
done: \
	VZEROUPPER; \
	RET

TEXT ·gemm32Block(SB), NOSPLIT, $0-80
	GEMMBLOCK(2, VMOVUPS.Z, VMOVUPS, VBROADCASTSS, VFMADD231PS, VADDPS)

TEXT ·gemm64Block(SB), NOSPLIT, $0-80
	GEMMBLOCK(3, VMOVUPD.Z, VMOVUPD, VBROADCASTSD, VFMADD231PD, VADDPD)

// func vadd32(dst, x *float32, n int): dst[i] = x[i] + dst[i]; vmul32(dst, x, y, n): dst[i] = x[i]·y[i]
// (and vadd64, vmul64 alike).

TEXT ·vadd32(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ DI, DX
	MOVQ n+16(FP), CX
	BINOP(16, VMOVUPS.Z, VMOVUPS, VADDPS)

TEXT ·vadd64(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ DI, DX
	MOVQ n+16(FP), CX
	BINOP(8, VMOVUPD.Z, VMOVUPD, VADDPD)

TEXT ·vmul32(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	BINOP(16, VMOVUPS.Z, VMOVUPS, VMULPS)

TEXT ·vmul64(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ n+24(FP), CX
	BINOP(8, VMOVUPD.Z, VMOVUPD, VMULPD)

// func silu32(a, gr *float32, n int)
//
// For x = a[i]: e^{−x} = 2^t with t = −x·log2 e split as t = m + f (m the
// nearest integer, |f| ≤ ½), 2^f by its Taylor polynomial of degree 6
// (relative error ≤ 1.2e−7) and 2^m applied by VSCALEFPS (which saturates
// to 0 or +Inf instead of wrapping); s = 1/(1 + e^{−x}); then a[i] = x·s and
// g[i] = s + x·s·(1 − s). x → −∞ gives 0 and 0, x → +∞ gives x and 1.
TEXT ·silu32(SB), NOSPLIT, $0-24
	MOVQ a+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ n+16(FP), CX
	MOVL $0xBFB8AA3B, AX
	VPBROADCASTD AX, Z24
	MOVL $0x3F800000, AX
	VPBROADCASTD AX, Z25
	MOVL $0x39218489, AX
	VPBROADCASTD AX, Z26
	MOVL $0x3AAEC3FF, AX
	VPBROADCASTD AX, Z27
	MOVL $0x3C1D955B, AX
	VPBROADCASTD AX, Z28
	MOVL $0x3D635847, AX
	VPBROADCASTD AX, Z29
	MOVL $0x3E75FDF0, AX
	VPBROADCASTD AX, Z30
	MOVL $0x3F317218, AX
	VPBROADCASTD AX, Z31
	MOVL $0xFFFF, AX
	KMOVW AX, K1

siluloop:
	CMPQ CX, $16
	JGE  silubody
	TESTQ CX, CX
	JZ    siludone
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	KMOVW AX, K1
	MOVQ  $16, CX

silubody:
	VMOVUPS.Z (DI), K1, Z0
	VMULPS Z24, Z0, Z3
	VRNDSCALEPS $0, Z3, Z4
	VSUBPS Z4, Z3, Z3
	VMOVAPS Z26, Z5
	VFMADD213PS Z27, Z3, Z5
	VFMADD213PS Z28, Z3, Z5
	VFMADD213PS Z29, Z3, Z5
	VFMADD213PS Z30, Z3, Z5
	VFMADD213PS Z31, Z3, Z5
	VFMADD213PS Z25, Z3, Z5
	VSCALEFPS Z4, Z5, Z5
	VADDPS Z25, Z5, Z5
	VDIVPS Z5, Z25, Z6
	VMULPS Z6, Z0, Z1
	VSUBPS Z6, Z25, Z7
	VFMADD213PS Z6, Z1, Z7
	VMOVUPS Z1, K1, (DI)
	VMOVUPS Z7, K1, (SI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  siluloop

siludone:
	VZEROUPPER
	RET

// Table rows for CondMLP, width ≤ 4 vectors (masks as in gemm32Block):
// gatherAdd adds tab row keys[r·kstride] to row r of seq, scatterAdd adds
// row r of seq to tab row keys[r·kstride], for r < rows. Rows of seq are
// consecutive, width elements each. scatterAdd sums each run of equal
// consecutive keys in registers (from zero, in row order) and adds the sum
// to the table row once: the replicas of one latent share its temperature,
// so the temperature table is not loaded and stored once per row.
//
// func gatherAdd32(seq, tab *float32, keys *int, kstride, rows, width int, masks uint64)
// (and scatterAdd32, gatherAdd64, scatterAdd64 alike)

TEXT ·gatherAdd32(SB), NOSPLIT, $0-56
	GATHERROWS(2, VMOVUPS.Z, VMOVUPS, VADDPS)

TEXT ·scatterAdd32(SB), NOSPLIT, $0-56
	SCATTERROWS(2, VMOVUPS.Z, VMOVUPS, VADDPS, VPXORD)

TEXT ·gatherAdd64(SB), NOSPLIT, $0-56
	GATHERROWS(3, VMOVUPD.Z, VMOVUPD, VADDPD)

TEXT ·scatterAdd64(SB), NOSPLIT, $0-56
	SCATTERROWS(3, VMOVUPD.Z, VMOVUPD, VADDPD, VPXORQ)
