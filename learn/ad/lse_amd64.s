//go:build amd64 && !purego

#include "textflag.h"

// Vector constants of EXPV: the constants of expc<>, each
// repeated in four lanes so that they can be memory operands (no broadcast
// registers, which leaves room for two interleaved chains).
DATA expv<>+0(SB)/8, $1.4426950408889634 // log2(e) @0
DATA expv<>+8(SB)/8, $1.4426950408889634
DATA expv<>+16(SB)/8, $1.4426950408889634
DATA expv<>+24(SB)/8, $1.4426950408889634
DATA expv<>+32(SB)/8, $6.93147180369123816490e-01 // ln2 hi (fdlibm) @32
DATA expv<>+40(SB)/8, $6.93147180369123816490e-01
DATA expv<>+48(SB)/8, $6.93147180369123816490e-01
DATA expv<>+56(SB)/8, $6.93147180369123816490e-01
DATA expv<>+64(SB)/8, $1.90821492927058770002e-10 // ln2 lo @64
DATA expv<>+72(SB)/8, $1.90821492927058770002e-10
DATA expv<>+80(SB)/8, $1.90821492927058770002e-10
DATA expv<>+88(SB)/8, $1.90821492927058770002e-10
DATA expv<>+96(SB)/8, $-707.0 // below: flush to 0 @96
DATA expv<>+104(SB)/8, $-707.0
DATA expv<>+112(SB)/8, $-707.0
DATA expv<>+120(SB)/8, $-707.0
DATA expv<>+128(SB)/8, $709.782712893384 // above: +Inf @128
DATA expv<>+136(SB)/8, $709.782712893384
DATA expv<>+144(SB)/8, $709.782712893384
DATA expv<>+152(SB)/8, $709.782712893384
DATA expv<>+160(SB)/8, $6755399441055744.0 // 1.5·2^52 (round-to-int magic) @160
DATA expv<>+168(SB)/8, $6755399441055744.0
DATA expv<>+176(SB)/8, $6755399441055744.0
DATA expv<>+184(SB)/8, $6755399441055744.0
DATA expv<>+192(SB)/8, $0x4338000000000000 // bits of the magic @192
DATA expv<>+200(SB)/8, $0x4338000000000000
DATA expv<>+208(SB)/8, $0x4338000000000000
DATA expv<>+216(SB)/8, $0x4338000000000000
DATA expv<>+224(SB)/8, $1022 // exponent bias − 1 @224
DATA expv<>+232(SB)/8, $1022
DATA expv<>+240(SB)/8, $1022
DATA expv<>+248(SB)/8, $1022
DATA expv<>+256(SB)/8, $0x7ff0000000000000 // +Inf @256
DATA expv<>+264(SB)/8, $0x7ff0000000000000
DATA expv<>+272(SB)/8, $0x7ff0000000000000
DATA expv<>+280(SB)/8, $0x7ff0000000000000
DATA expv<>+288(SB)/8, $709.79 // clamp for the computation @288
DATA expv<>+296(SB)/8, $709.79
DATA expv<>+304(SB)/8, $709.79
DATA expv<>+312(SB)/8, $709.79
DATA expv<>+320(SB)/8, $2.08767569878680989792e-09 // 1/12! @320
DATA expv<>+328(SB)/8, $2.08767569878680989792e-09
DATA expv<>+336(SB)/8, $2.08767569878680989792e-09
DATA expv<>+344(SB)/8, $2.08767569878680989792e-09
DATA expv<>+352(SB)/8, $2.50521083854417187751e-08 // 1/11! @352
DATA expv<>+360(SB)/8, $2.50521083854417187751e-08
DATA expv<>+368(SB)/8, $2.50521083854417187751e-08
DATA expv<>+376(SB)/8, $2.50521083854417187751e-08
DATA expv<>+384(SB)/8, $2.75573192239858906526e-07 // 1/10! @384
DATA expv<>+392(SB)/8, $2.75573192239858906526e-07
DATA expv<>+400(SB)/8, $2.75573192239858906526e-07
DATA expv<>+408(SB)/8, $2.75573192239858906526e-07
DATA expv<>+416(SB)/8, $2.75573192239858906526e-06 // 1/9! @416
DATA expv<>+424(SB)/8, $2.75573192239858906526e-06
DATA expv<>+432(SB)/8, $2.75573192239858906526e-06
DATA expv<>+440(SB)/8, $2.75573192239858906526e-06
DATA expv<>+448(SB)/8, $2.48015873015873015873e-05 // 1/8! @448
DATA expv<>+456(SB)/8, $2.48015873015873015873e-05
DATA expv<>+464(SB)/8, $2.48015873015873015873e-05
DATA expv<>+472(SB)/8, $2.48015873015873015873e-05
DATA expv<>+480(SB)/8, $1.98412698412698412698e-04 // 1/7! @480
DATA expv<>+488(SB)/8, $1.98412698412698412698e-04
DATA expv<>+496(SB)/8, $1.98412698412698412698e-04
DATA expv<>+504(SB)/8, $1.98412698412698412698e-04
DATA expv<>+512(SB)/8, $1.38888888888888888889e-03 // 1/6! @512
DATA expv<>+520(SB)/8, $1.38888888888888888889e-03
DATA expv<>+528(SB)/8, $1.38888888888888888889e-03
DATA expv<>+536(SB)/8, $1.38888888888888888889e-03
DATA expv<>+544(SB)/8, $8.33333333333333333333e-03 // 1/5! @544
DATA expv<>+552(SB)/8, $8.33333333333333333333e-03
DATA expv<>+560(SB)/8, $8.33333333333333333333e-03
DATA expv<>+568(SB)/8, $8.33333333333333333333e-03
DATA expv<>+576(SB)/8, $4.16666666666666666667e-02 // 1/4! @576
DATA expv<>+584(SB)/8, $4.16666666666666666667e-02
DATA expv<>+592(SB)/8, $4.16666666666666666667e-02
DATA expv<>+600(SB)/8, $4.16666666666666666667e-02
DATA expv<>+608(SB)/8, $1.66666666666666666667e-01 // 1/3! @608
DATA expv<>+616(SB)/8, $1.66666666666666666667e-01
DATA expv<>+624(SB)/8, $1.66666666666666666667e-01
DATA expv<>+632(SB)/8, $1.66666666666666666667e-01
DATA expv<>+640(SB)/8, $0.5 // 1/2! @640
DATA expv<>+648(SB)/8, $0.5
DATA expv<>+656(SB)/8, $0.5
DATA expv<>+664(SB)/8, $0.5
DATA expv<>+672(SB)/8, $1.0 // 1/1! @672
DATA expv<>+680(SB)/8, $1.0
DATA expv<>+688(SB)/8, $1.0
DATA expv<>+696(SB)/8, $1.0
DATA expv<>+704(SB)/8, $1.0 // 1/0! @704
DATA expv<>+712(SB)/8, $1.0
DATA expv<>+720(SB)/8, $1.0
DATA expv<>+728(SB)/8, $1.0
DATA expv<>+736(SB)/8, $1023 // exponent bias @736
DATA expv<>+744(SB)/8, $1023
DATA expv<>+752(SB)/8, $1023
DATA expv<>+760(SB)/8, $1023
GLOBL expv<>(SB), RODATA|NOPTR, $768

// EXPV sets P = e^X for four lanes (X is kept), with R, K, T as temporaries.
// It needs R8 = $expv<>, Y14 = −707 (lower limit) and Y15 = 709.79 (clamp).
// Method: x = k·ln2 + r with k = round(x·log2 e) and r by Cody–Waite
// reduction (|r| ≤ ½ln2), e^r by its degree-12 Taylor polynomial
// (truncation < 2e-16 relative) evaluated by Horner's rule with FMA, and 2^k
// built from the exponent bits as 2·2^(k−1) so that k = 1024 does not
// overflow the bias. x < −707 gives 0 (true value < 1e-307), x > 709.78…
// gives +Inf, NaN gives NaN. VMINPD/VMAXPD return their second (Intel)
// source, here x, when it is NaN.
#define EXPV(X, R, K, P, T) \
	VMINPD       X, Y15, R; \
	VMAXPD       R, Y14, R; \
	VMULPD       0(R8), R, K; \
	VROUNDPD     $0, K, K; \
	VFNMADD231PD 32(R8), K, R; \
	VFNMADD231PD 64(R8), K, R; \
	VMOVUPD      320(R8), P; \
	VFMADD213PD  352(R8), R, P; \
	VFMADD213PD  384(R8), R, P; \
	VFMADD213PD  416(R8), R, P; \
	VFMADD213PD  448(R8), R, P; \
	VFMADD213PD  480(R8), R, P; \
	VFMADD213PD  512(R8), R, P; \
	VFMADD213PD  544(R8), R, P; \
	VFMADD213PD  576(R8), R, P; \
	VFMADD213PD  608(R8), R, P; \
	VFMADD213PD  640(R8), R, P; \
	VFMADD213PD  672(R8), R, P; \
	VFMADD213PD  704(R8), R, P; \
	VADDPD       P, P, P; \
	VADDPD       160(R8), K, T; \
	VPSUBQ       192(R8), T, T; \
	VPADDQ       224(R8), T, T; \
	VPSLLQ       $52, T, T; \
	VMULPD       T, P, P; \
	VCMPPD       $1, Y14, X, T; \
	VANDNPD      P, T, P; \
	VCMPPD       $0x1e, 128(R8), X, T; \
	VBLENDVPD    T, 256(R8), P, P

// EXPN is EXPV for x ≤ 0 or NaN (max-shifted log-sum-exp arguments), in
// fewer operations: no upper clamp or overflow test, and k is rounded by the
// FMA x·log2e + 1.5·2^52 itself, whose low bits then give 2^k directly
// ((bits + 1023) << 52; k ≥ −1020 after the clamp at −707, so 2^k is
// normal). Same accuracy as EXPV; x < −707 gives 0, NaN gives NaN.
#define EXPN(X, R, K, P, T) \
	VMAXPD       X, Y14, R;      \
	VMOVUPD      160(R8), K;     \
	VFMADD231PD  0(R8), R, K;    \
	VSUBPD       160(R8), K, T;  \
	VFNMADD231PD 32(R8), T, R;   \
	VFNMADD231PD 64(R8), T, R;   \
	VMOVUPD      320(R8), P;     \
	VFMADD213PD  352(R8), R, P;  \
	VFMADD213PD  384(R8), R, P;  \
	VFMADD213PD  416(R8), R, P;  \
	VFMADD213PD  448(R8), R, P;  \
	VFMADD213PD  480(R8), R, P;  \
	VFMADD213PD  512(R8), R, P;  \
	VFMADD213PD  544(R8), R, P;  \
	VFMADD213PD  576(R8), R, P;  \
	VFMADD213PD  608(R8), R, P;  \
	VFMADD213PD  640(R8), R, P;  \
	VFMADD213PD  672(R8), R, P;  \
	VFMADD213PD  704(R8), R, P;  \
	VPADDQ       736(R8), K, T;  \
	VPSLLQ       $52, T, T;      \
	VMULPD       T, P, P;        \
	VCMPPD       $1, Y14, X, T;  \
	VANDNPD      P, T, P

#define EXPSETUP \
	LEAQ         expv<>(SB), R8; \
	VMOVUPD      96(R8), Y14; \
	VMOVUPD      288(R8), Y15

// func expKern(dst, src *float64, n int)
//
// dst[i] = e^{src[i]} for i < n, n a multiple of 4 (method: EXPV). Eight
// values per iteration in two independent chains, so that the latency of
// one Horner chain hides behind the other.
TEXT ·expKern(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	EXPSETUP

e8:
	CMPQ    CX, $8
	JL      e4
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y5
	EXPV(Y0, Y1, Y2, Y3, Y4)
	EXPV(Y5, Y6, Y7, Y8, Y9)
	VMOVUPD Y3, (DI)
	VMOVUPD Y8, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $8, CX
	JMP     e8

e4:
	CMPQ    CX, $4
	JL      edone
	VMOVUPD (SI), Y0
	EXPV(Y0, Y1, Y2, Y3, Y4)
	VMOVUPD Y3, (DI)

edone:
	VZEROUPPER
	RET

// func mixJointKern(l, cst, muT, hT, z *float64, rows, d, k4 int)
//
// The mixture's log joint for rows samples, vectorised over components:
// l[r·k4 + k] = cst[k] − Σ_{j<d} (z[r·d + j] − muT[j·k4 + k])²·hT[j·k4 + k]
// for k < k4 (a multiple of 4), the terms subtracted in order of j.
TEXT ·mixJointKern(SB), NOSPLIT, $0-64
	MOVQ l+0(FP), DI
	MOVQ cst+8(FP), R8
	MOVQ muT+16(FP), R9
	MOVQ hT+24(FP), R10
	MOVQ z+32(FP), R11
	MOVQ rows+40(FP), R12
	MOVQ d+48(FP), R13
	MOVQ k4+56(FP), AX
	SHLQ $3, AX        // bytes per row of l, muT, hT
	SHLQ $3, R13       // bytes per row of z

jrow:
	TESTQ R12, R12
	JE    jdone
	XORQ  CX, CX       // component offset (bytes)

jk:
	CMPQ    CX, AX
	JGE     jnext
	VMOVUPD (R8)(CX*1), Y0
	LEAQ    (R9)(CX*1), SI
	LEAQ    (R10)(CX*1), DX
	XORQ    BX, BX     // latent offset (bytes)

jj:
	CMPQ         BX, R13
	JGE          jst
	VBROADCASTSD (R11)(BX*1), Y1
	VSUBPD       (SI), Y1, Y1
	VMULPD       Y1, Y1, Y1
	VFNMADD231PD (DX), Y1, Y0
	ADDQ         AX, SI
	ADDQ         AX, DX
	ADDQ         $8, BX
	JMP          jj

jst:
	VMOVUPD Y0, (DI)(CX*1)
	ADDQ    $32, CX
	JMP     jk

jnext:
	ADDQ AX, DI
	ADDQ R13, R11
	DECQ R12
	JMP  jrow

jdone:
	VZEROUPPER
	RET

// func mixBackKern(dmu, dlv, mu, iv, gam *float64, gi, z float64, n int) float64
//
// For k < n (a multiple of 4), with gg = gi·gam[k], r = z − mu[k] and
// t = gg·r·iv[k]: dmu[k] += t, dlv[k] += gg − t·r = gg·(1 − r²·iv[k]), and
// returns Σ_k t (lanes summed in the fixed order (0+2)+(1+3)). One sample and one latent
// dimension of the mixture's backward pass, vectorised over components.
TEXT ·mixBackKern(SB), NOSPLIT, $0-72
	MOVQ         dmu+0(FP), DI
	MOVQ         dlv+8(FP), SI
	MOVQ         mu+16(FP), R10
	MOVQ         iv+24(FP), R11
	MOVQ         gam+32(FP), R9
	VBROADCASTSD gi+40(FP), Y14
	VBROADCASTSD z+48(FP), Y15
	MOVQ         n+56(FP), CX
	VXORPD       Y13, Y13, Y13

b4:
	CMPQ         CX, $4
	JL           bdone
	VMULPD       (R9), Y14, Y0  // gg
	VSUBPD       (R10), Y15, Y1 // r
	VMULPD       (R11), Y1, Y2  // r·iv
	VMULPD       Y2, Y0, Y2     // t
	VADDPD       (DI), Y2, Y3
	VMOVUPD      Y3, (DI)
	VADDPD       Y2, Y13, Y13
	VFNMADD231PD Y1, Y2, Y0     // gg − t·r
	VADDPD       (SI), Y0, Y0
	VMOVUPD      Y0, (SI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	ADDQ         $32, R9
	ADDQ         $32, R10
	ADDQ         $32, R11
	SUBQ         $4, CX
	JMP          b4

bdone:
	VEXTRACTF128 $1, Y13, X12
	VADDPD       X12, X13, X13
	VUNPCKHPD    X13, X13, X12
	VADDSD       X12, X13, X13
	VMOVSD       X13, ret+64(FP)
	VZEROUPPER
	RET

// func lseRowsKern(e, x, m, s *float64, rows, c int)
//
// For each of rows rows of c values (c a positive multiple of 4, stride c):
// m[r] = max_j x[r,j], e[r,j] = e^{x[r,j] − m[r]} and s[r] = Σ_j e[r,j]
// (method: EXPV; s[r] sums two accumulators' lanes in the fixed order
// (0+2)+(1+3), so results are deterministic). e may alias x. One
// call for a whole batch, so that the exponentials of consecutive rows
// overlap even when rows are short (K = 3 classes padded to 4).
TEXT ·lseRowsKern(SB), NOSPLIT, $0-48
	MOVQ e+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ m+16(FP), R9
	MOVQ s+24(FP), R10
	MOVQ rows+32(FP), R11
	MOVQ c+40(FP), R12
	EXPSETUP

lrow:
	TESTQ R11, R11
	JE    ldone

	// Row maximum (two accumulators).
	MOVQ    SI, AX
	MOVQ    R12, CX
	VMOVUPD (AX), Y0
	VMOVAPD Y0, Y1
	ADDQ    $32, AX
	SUBQ    $4, CX

lm8:
	CMPQ   CX, $8
	JL     lm4
	VMAXPD (AX), Y0, Y0
	VMAXPD 32(AX), Y1, Y1
	ADDQ   $64, AX
	SUBQ   $8, CX
	JMP    lm8

lm4:
	CMPQ   CX, $4
	JL     lmred
	VMAXPD (AX), Y0, Y0

lmred:
	VMAXPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VMAXPD       X1, X0, X0
	VUNPCKHPD    X0, X0, X1
	VMAXSD       X1, X0, X0
	VMOVSD       X0, (R9)
	VBROADCASTSD X0, Y10

	// e = exp(x − m), s = Σ e.
	MOVQ   R12, CX
	VXORPD Y11, Y11, Y11
	VXORPD Y12, Y12, Y12

ls8:
	CMPQ    CX, $8
	JL      ls4
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y5
	VSUBPD  Y10, Y0, Y0
	VSUBPD  Y10, Y5, Y5
	EXPN(Y0, Y1, Y2, Y3, Y4)
	EXPN(Y5, Y6, Y7, Y8, Y9)
	VMOVUPD Y3, (DI)
	VMOVUPD Y8, 32(DI)
	VADDPD  Y3, Y11, Y11
	VADDPD  Y8, Y12, Y12
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $8, CX
	JMP     ls8

ls4:
	CMPQ    CX, $4
	JL      lsred
	VMOVUPD (SI), Y0
	VSUBPD  Y10, Y0, Y0
	EXPN(Y0, Y1, Y2, Y3, Y4)
	VMOVUPD Y3, (DI)
	VADDPD  Y3, Y11, Y11
	ADDQ    $32, SI
	ADDQ    $32, DI

lsred:
	VADDPD       Y12, Y11, Y11
	VEXTRACTF128 $1, Y11, X12
	VADDPD       X12, X11, X11
	VUNPCKHPD    X11, X11, X12
	VADDSD       X12, X11, X11
	VMOVSD       X11, (R10)
	ADDQ         $8, R9
	ADDQ         $8, R10
	DECQ         R11
	JMP          lrow

ldone:
	VZEROUPPER
	RET

// func sumKern(x *float64, n int) float64
//
// Returns Σ x[i] for i < n, n a multiple of 4, with four independent vector
// accumulators (no add-latency chain) combined in a fixed order.
TEXT ·sumKern(SB), NOSPLIT, $0-24
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3

u16:
	CMPQ   CX, $16
	JL     u4
	VADDPD (SI), Y0, Y0
	VADDPD 32(SI), Y1, Y1
	VADDPD 64(SI), Y2, Y2
	VADDPD 96(SI), Y3, Y3
	ADDQ   $128, SI
	SUBQ   $16, CX
	JMP    u16

u4:
	CMPQ   CX, $4
	JL     ured
	VADDPD (SI), Y0, Y0
	ADDQ   $32, SI
	SUBQ   $4, CX
	JMP    u4

ured:
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VUNPCKHPD    X0, X0, X1
	VADDSD       X1, X0, X0
	VMOVSD       X0, ret+16(FP)
	VZEROUPPER
	RET

// func softmaxBackKern(da, gr, e *float64, c float64, n int)
//
// da[j] += gr[j] − c·e[j] for j < n, n a multiple of 4: LogSoftmax's
// backward with c = Σ_j gr_j / Σ_j e_j.
TEXT ·softmaxBackKern(SB), NOSPLIT, $0-40
	MOVQ         da+0(FP), DI
	MOVQ         gr+8(FP), SI
	MOVQ         e+16(FP), DX
	VBROADCASTSD c+24(FP), Y15
	MOVQ         n+32(FP), CX

x4:
	CMPQ         CX, $4
	JL           xdone
	VMOVUPD      (SI), Y0
	VFNMADD231PD (DX), Y15, Y0 // g − c·e
	VADDPD       (DI), Y0, Y0
	VMOVUPD      Y0, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	ADDQ         $32, DX
	SUBQ         $4, CX
	JMP          x4

xdone:
	VZEROUPPER
	RET

// func sigmoidKern(y, sig, x *float64, n, mode int)
//
// For i < n (a multiple of 4), with s = σ(x[i]) = 1/(1 + e^{−x[i]}) (EXPV,
// then a vector division): mode 0 sets y[i] = s; mode 1 sets y[i] = x[i]·s
// (SiLU); mode 2 sets y[i] = x[i]·s and sig[i] = s (SiLU keeping σ for
// backward). e^{−x} = +Inf for x < −709.78 gives s = 0 exactly. y may alias x.
TEXT ·sigmoidKern(SB), NOSPLIT, $0-40
	MOVQ y+0(FP), DI
	MOVQ sig+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	MOVQ mode+32(FP), BX
	EXPSETUP

gloop:
	CMPQ    CX, $4
	JL      gdone
	VMOVUPD (SI), Y5
	VXORPD  Y0, Y0, Y0
	VSUBPD  Y5, Y0, Y0           // −x
	EXPV(Y0, Y1, Y2, Y3, Y4)     // e^{−x}
	VADDPD  704(R8), Y3, Y3      // 1 + e^{−x}
	VMOVUPD 704(R8), Y6
	VDIVPD  Y3, Y6, Y6           // s
	TESTQ   BX, BX
	JNE     gsilu
	VMOVUPD Y6, (DI)
	JMP     gnext

gsilu:
	VMULPD  Y5, Y6, Y7           // x·s
	VMOVUPD Y7, (DI)
	CMPQ    BX, $2
	JNE     gnext
	VMOVUPD Y6, (DX)
	ADDQ    $32, DX

gnext:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $4, CX
	JMP  gloop

gdone:
	VZEROUPPER
	RET

// func siluGradKern(dz, dy, y, s *float64, n int)
//
// dz[i] = dy[i]·(s[i] + y[i]·(1 − s[i])) for i < n (a multiple of 4): SiLU's
// derivative from its output y = x·s and s = σ(x). dz may alias s.
TEXT ·siluGradKern(SB), NOSPLIT, $0-40
	MOVQ dz+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ s+24(FP), R9
	MOVQ n+32(FP), CX
	LEAQ expv<>(SB), R8

hloop:
	CMPQ         CX, $4
	JL           hdone
	VMOVUPD      (R9), Y0        // s
	VMOVUPD      704(R8), Y1
	VSUBPD       Y0, Y1, Y1      // 1 − s
	VMOVUPD      (DX), Y2        // y
	VFMADD213PD  Y0, Y2, Y1      // y·(1 − s) + s
	VMULPD       (SI), Y1, Y1
	VMOVUPD      Y1, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, R9
	SUBQ         $4, CX
	JMP          hloop

hdone:
	VZEROUPPER
	RET

// func shiftSubKern(y, x *float64, m, ls float64, n int)
//
// y[i] = (x[i] − m) − ls for i < n (a multiple of 4): LogSoftmax's output
// from the row maximum m and log-sum ls, in the same order of operations as
// the Go loop (bit-identical).
TEXT ·shiftSubKern(SB), NOSPLIT, $0-40
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	VBROADCASTSD m+16(FP), Y14
	VBROADCASTSD ls+24(FP), Y15
	MOVQ         n+32(FP), CX

oloop:
	CMPQ    CX, $8
	JL      o4
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	VSUBPD  Y14, Y0, Y0
	VSUBPD  Y14, Y1, Y1
	VSUBPD  Y15, Y0, Y0
	VSUBPD  Y15, Y1, Y1
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, 32(DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $8, CX
	JMP     oloop

o4:
	CMPQ    CX, $4
	JL      odone
	VMOVUPD (SI), Y0
	VSUBPD  Y14, Y0, Y0
	VSUBPD  Y15, Y0, Y0
	VMOVUPD Y0, (DI)

odone:
	VZEROUPPER
	RET

// Vector constants of logKern (fdlibm's log, as Go's math.Log).
DATA logv<>+0(SB)/8, $0x000fffffffffffff // mantissa mask @0
DATA logv<>+8(SB)/8, $0x000fffffffffffff
DATA logv<>+16(SB)/8, $0x000fffffffffffff
DATA logv<>+24(SB)/8, $0x000fffffffffffff
DATA logv<>+32(SB)/8, $0x3fe0000000000000 // exponent bits of 0.5 @32
DATA logv<>+40(SB)/8, $0x3fe0000000000000
DATA logv<>+48(SB)/8, $0x3fe0000000000000
DATA logv<>+56(SB)/8, $0x3fe0000000000000
DATA logv<>+64(SB)/8, $0x4330000000000000 // exponent bits of 2^52 @64
DATA logv<>+72(SB)/8, $0x4330000000000000
DATA logv<>+80(SB)/8, $0x4330000000000000
DATA logv<>+88(SB)/8, $0x4330000000000000
DATA logv<>+96(SB)/8, $4503599627371518.0 // 2^52 + 1022 @96
DATA logv<>+104(SB)/8, $4503599627371518.0
DATA logv<>+112(SB)/8, $4503599627371518.0
DATA logv<>+120(SB)/8, $4503599627371518.0
DATA logv<>+128(SB)/8, $0.70710678118654752440 // √2/2 @128
DATA logv<>+136(SB)/8, $0.70710678118654752440
DATA logv<>+144(SB)/8, $0.70710678118654752440
DATA logv<>+152(SB)/8, $0.70710678118654752440
DATA logv<>+160(SB)/8, $1.0 // 1 @160
DATA logv<>+168(SB)/8, $1.0
DATA logv<>+176(SB)/8, $1.0
DATA logv<>+184(SB)/8, $1.0
DATA logv<>+192(SB)/8, $2.0 // 2 @192
DATA logv<>+200(SB)/8, $2.0
DATA logv<>+208(SB)/8, $2.0
DATA logv<>+216(SB)/8, $2.0
DATA logv<>+224(SB)/8, $0.5 // 0.5 @224
DATA logv<>+232(SB)/8, $0.5
DATA logv<>+240(SB)/8, $0.5
DATA logv<>+248(SB)/8, $0.5
DATA logv<>+256(SB)/8, $6.666666666666735130e-01 // L1 @256
DATA logv<>+264(SB)/8, $6.666666666666735130e-01
DATA logv<>+272(SB)/8, $6.666666666666735130e-01
DATA logv<>+280(SB)/8, $6.666666666666735130e-01
DATA logv<>+288(SB)/8, $3.999999999940941908e-01 // L2 @288
DATA logv<>+296(SB)/8, $3.999999999940941908e-01
DATA logv<>+304(SB)/8, $3.999999999940941908e-01
DATA logv<>+312(SB)/8, $3.999999999940941908e-01
DATA logv<>+320(SB)/8, $2.857142874366239149e-01 // L3 @320
DATA logv<>+328(SB)/8, $2.857142874366239149e-01
DATA logv<>+336(SB)/8, $2.857142874366239149e-01
DATA logv<>+344(SB)/8, $2.857142874366239149e-01
DATA logv<>+352(SB)/8, $2.222219843214978396e-01 // L4 @352
DATA logv<>+360(SB)/8, $2.222219843214978396e-01
DATA logv<>+368(SB)/8, $2.222219843214978396e-01
DATA logv<>+376(SB)/8, $2.222219843214978396e-01
DATA logv<>+384(SB)/8, $1.818357216161805012e-01 // L5 @384
DATA logv<>+392(SB)/8, $1.818357216161805012e-01
DATA logv<>+400(SB)/8, $1.818357216161805012e-01
DATA logv<>+408(SB)/8, $1.818357216161805012e-01
DATA logv<>+416(SB)/8, $1.531383769920937332e-01 // L6 @416
DATA logv<>+424(SB)/8, $1.531383769920937332e-01
DATA logv<>+432(SB)/8, $1.531383769920937332e-01
DATA logv<>+440(SB)/8, $1.531383769920937332e-01
DATA logv<>+448(SB)/8, $1.479819860511658591e-01 // L7 @448
DATA logv<>+456(SB)/8, $1.479819860511658591e-01
DATA logv<>+464(SB)/8, $1.479819860511658591e-01
DATA logv<>+472(SB)/8, $1.479819860511658591e-01
DATA logv<>+480(SB)/8, $6.93147180369123816490e-01 // ln2 hi @480
DATA logv<>+488(SB)/8, $6.93147180369123816490e-01
DATA logv<>+496(SB)/8, $6.93147180369123816490e-01
DATA logv<>+504(SB)/8, $6.93147180369123816490e-01
DATA logv<>+512(SB)/8, $1.90821492927058770002e-10 // ln2 lo @512
DATA logv<>+520(SB)/8, $1.90821492927058770002e-10
DATA logv<>+528(SB)/8, $1.90821492927058770002e-10
DATA logv<>+536(SB)/8, $1.90821492927058770002e-10
DATA logv<>+544(SB)/8, $0x7ff0000000000000 // +Inf @544
DATA logv<>+552(SB)/8, $0x7ff0000000000000
DATA logv<>+560(SB)/8, $0x7ff0000000000000
DATA logv<>+568(SB)/8, $0x7ff0000000000000
GLOBL logv<>(SB), RODATA|NOPTR, $576

// func logKern(dst, src *float64, n int)
//
// dst[i] = ln src[i] for i < n (a multiple of 4) by fdlibm's method, as Go's
// math.Log: src = 2^k·f1 with f1 ∈ [√½, √2), f = f1 − 1, s = f/(2+f),
// ln f1 = f − (hfsq − s·(hfsq + R(s²))) with hfsq = f²/2 and R the
// degree-7 polynomial of fdlibm (error < 2^-58.45), plus k·ln2 in two parts.
// Valid for normal positive src and +Inf and NaN (returned as they are);
// zero, negative and subnormal src are not handled (callers pass sums ≥ 1).
TEXT ·logKern(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	LEAQ logv<>(SB), R9

lloop:
	CMPQ         CX, $4
	JL           ldone2
	VMOVUPD      (SI), Y0
	VPSRLQ       $52, Y0, Y1       // biased exponent
	VPOR         64(R9), Y1, Y1    // 2^52 + biased exponent, as a double
	VSUBPD       96(R9), Y1, Y2    // k = biased exponent − 1022
	VANDPD       0(R9), Y0, Y3
	VORPD        32(R9), Y3, Y3    // f1 ∈ [0.5, 1)
	VCMPPD       $1, 128(R9), Y3, Y4 // f1 < √2/2
	VANDPD       Y3, Y4, Y5
	VADDPD       Y5, Y3, Y3        // f1·2 there
	VANDPD       160(R9), Y4, Y5
	VSUBPD       Y5, Y2, Y2        // k − 1 there
	VSUBPD       160(R9), Y3, Y6   // f = f1 − 1
	VADDPD       192(R9), Y6, Y5   // 2 + f
	VDIVPD       Y5, Y6, Y7        // s = f/(2+f)
	VMULPD       Y7, Y7, Y8        // s²
	VMULPD       Y8, Y8, Y9        // s⁴
	VMOVUPD      448(R9), Y10      // t1 = s²(L1 + s⁴(L3 + s⁴(L5 + s⁴L7)))
	VFMADD213PD  384(R9), Y9, Y10
	VFMADD213PD  320(R9), Y9, Y10
	VFMADD213PD  256(R9), Y9, Y10
	VMULPD       Y8, Y10, Y10
	VMOVUPD      416(R9), Y11      // t2 = s⁴(L2 + s⁴(L4 + s⁴L6))
	VFMADD213PD  352(R9), Y9, Y11
	VFMADD213PD  288(R9), Y9, Y11
	VMULPD       Y9, Y11, Y11
	VADDPD       Y11, Y10, Y10     // R = t1 + t2
	VMULPD       224(R9), Y6, Y13
	VMULPD       Y6, Y13, Y13      // hfsq = (0.5·f)·f
	VADDPD       Y10, Y13, Y5      // hfsq + R
	VMULPD       512(R9), Y2, Y14  // k·ln2lo
	VFMADD231PD  Y5, Y7, Y14       // s·(hfsq + R) + k·ln2lo
	VSUBPD       Y14, Y13, Y14     // hfsq − (…)
	VSUBPD       Y6, Y14, Y14      // (hfsq − …) − f
	VMULPD       480(R9), Y2, Y15  // k·ln2hi (exact)
	VSUBPD       Y14, Y15, Y15     // k·ln2hi − ((hfsq − …) − f)
	VCMPPD       $0x05, 544(R9), Y0, Y4 // !(x < +Inf): NaN or +Inf
	VBLENDVPD    Y4, Y0, Y15, Y15
	VMOVUPD      Y15, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DI
	SUBQ         $4, CX
	JMP          lloop

ldone2:
	VZEROUPPER
	RET
