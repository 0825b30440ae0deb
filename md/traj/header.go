package traj

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Constants of the NumPy format (numpy/lib/format.py).
const (
	npyMagic     = "\x93NUMPY"
	npyAlign     = 64 // ARRAY_ALIGN: the data starts at a multiple of 64 bytes
	growthDigits = 21 // GROWTH_AXIS_MAX_DIGITS: room numpy leaves to grow shape[0]
	maxHeaderLen = 1 << 20
)

// npyHeader is the parsed content of a .npy header.
type npyHeader struct {
	descr    string // dtype string as in the file, e.g. "<f8"
	kind     byte   // 'f', 'i' or 'u'
	size     int    // item size in bytes
	fortran  bool
	shape    []int
	dataOff  int64 // offset of the first data byte
	dataSize int64 // product(shape)·size
}

// shapeRepr formats a shape as Python's repr of a tuple: (), (N,), (R, C).
func shapeRepr(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, n := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(n))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// encodeHeader returns the version-1.0 header numpy.save writes for an
// array of the given dtype, order and shape: magic, version, uint16 header
// length, the dict, growth padding of 21−len(str(shape[0])) spaces, and
// spaces so that 10 + length is a multiple of 64 (numpy adds a full 64 when
// it already is), terminated by '\n'. Because the growth padding
// compensates the digits of shape[0], the header length does not depend on
// shape[0]: rows can be patched in place.
//
// If total > 0 the header is instead padded to exactly total bytes
// (including the 10-byte preamble), which must be large enough for the
// dict; this re-encodes the header of an existing file in place.
func encodeHeader(descr string, fortran bool, shape []int, total int) ([]byte, error) {
	order := "False"
	if fortran {
		order = "True"
	}
	dict := "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shapeRepr(shape) + ", }"
	if total <= 0 {
		if len(shape) > 0 {
			if d := len(strconv.Itoa(shape[0])); d < growthDigits {
				dict += strings.Repeat(" ", growthDigits-d)
			}
		}
		hlen := len(dict) + 1
		pad := npyAlign - (10+hlen)%npyAlign
		total = 10 + hlen + pad
	}
	if 10+len(dict)+1 > total || total-10 > math.MaxUint16 {
		return nil, fmt.Errorf("header of %d bytes cannot hold %q", total, dict)
	}
	h := make([]byte, 0, total)
	h = append(h, npyMagic...)
	h = append(h, 1, 0)
	h = binary.LittleEndian.AppendUint16(h, uint16(total-10))
	h = append(h, dict...)
	for len(h) < total-1 {
		h = append(h, ' ')
	}
	return append(h, '\n'), nil
}

// readHeader reads and strictly parses a .npy header from r (positioned
// at the start of the file). It accepts format versions 1.0, 2.0 and 3.0,
// numeric dtypes f4, f8, i1–i8, u1–u8 of either byte order, C or Fortran
// order, and any number of dimensions. Errors say what is wrong; the
// caller adds the file name.
func readHeader(r io.Reader) (*npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return nil, fmt.Errorf("truncated: %d-byte magic and version missing (%w)", len(pre), err)
	}
	if string(pre[:6]) != npyMagic {
		return nil, fmt.Errorf("not a .npy file: magic %q, want %q", pre[:6], npyMagic)
	}
	var hlen int
	var off int64
	switch major, minor := pre[6], pre[7]; {
	case major == 1 && minor == 0:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("truncated: header length missing (%w)", err)
		}
		hlen, off = int(binary.LittleEndian.Uint16(b[:])), 10
	case (major == 2 || major == 3) && minor == 0:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return nil, fmt.Errorf("truncated: header length missing (%w)", err)
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > maxHeaderLen {
			return nil, fmt.Errorf("corrupt header: length %d exceeds %d", n, maxHeaderLen)
		}
		hlen, off = int(n), 12
	default:
		return nil, fmt.Errorf("unsupported format version %d.%d", major, minor)
	}
	buf := make([]byte, hlen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("truncated: header of %d bytes incomplete (%w)", hlen, err)
	}
	if hlen == 0 || buf[hlen-1] != '\n' {
		return nil, errors.New("corrupt header: not terminated by '\\n'")
	}
	h, err := parseDict(string(buf[:hlen-1]))
	if err != nil {
		return nil, fmt.Errorf("corrupt header: %w", err)
	}
	h.dataOff = off + int64(hlen)
	n := int64(h.size)
	for _, d := range h.shape {
		if d != 0 && n > math.MaxInt64/int64(d) {
			return nil, fmt.Errorf("corrupt header: shape %s overflows", shapeRepr(h.shape))
		}
		n *= int64(d)
	}
	h.dataSize = n
	return h, nil
}

// parseDict parses the header dict, a Python literal with exactly the keys
// 'descr', 'fortran_order' and 'shape'.
func parseDict(s string) (*npyHeader, error) {
	p := &dictParser{s: s}
	h := &npyHeader{}
	seen := map[string]bool{}
	p.ws()
	if !p.eat('{') {
		return nil, fmt.Errorf("dict does not start with '{': %q", s)
	}
	for {
		p.ws()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		p.ws()
		if !p.eat(':') {
			return nil, fmt.Errorf("missing ':' after key %q", key)
		}
		p.ws()
		switch key {
		case "descr":
			if p.peek() == '[' {
				return nil, errors.New("structured dtypes (descr is a list) are not supported")
			}
			v, err := p.str()
			if err != nil {
				return nil, fmt.Errorf("descr: %w", err)
			}
			if err := h.setDescr(v); err != nil {
				return nil, err
			}
		case "fortran_order":
			switch {
			case strings.HasPrefix(p.s[p.i:], "True"):
				h.fortran, p.i = true, p.i+4
			case strings.HasPrefix(p.s[p.i:], "False"):
				h.fortran, p.i = false, p.i+5
			default:
				return nil, fmt.Errorf("fortran_order is not True or False at byte %d", p.i)
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return nil, fmt.Errorf("shape: %w", err)
			}
		default:
			return nil, fmt.Errorf("unexpected key %q", key)
		}
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			break
		}
		return nil, fmt.Errorf("expected ',' or '}' at byte %d of %q", p.i, s)
	}
	p.ws()
	if p.i != len(s) {
		return nil, fmt.Errorf("unexpected text after the dict: %q", s[p.i:])
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return nil, fmt.Errorf("key %q missing", k)
		}
	}
	return h, nil
}

// setDescr validates a simple numeric dtype string such as "<f8".
func (h *npyHeader) setDescr(d string) error {
	bad := fmt.Errorf("dtype %q not supported (want float32/64 or 8- to 64-bit integers)", d)
	if len(d) < 3 {
		return bad
	}
	bo, kind := d[0], d[1]
	size, err := strconv.Atoi(d[2:])
	if err != nil {
		return bad
	}
	switch {
	case kind == 'f' && (size == 4 || size == 8):
	case (kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8):
	default:
		return bad
	}
	switch {
	case size == 1 && (bo == '|' || bo == '<' || bo == '>'):
	case size > 1 && (bo == '<' || bo == '>'):
	default:
		return bad
	}
	h.descr, h.kind, h.size = d, kind, size
	return nil
}

type dictParser struct {
	s string
	i int
}

func (p *dictParser) ws() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n') {
		p.i++
	}
}

func (p *dictParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *dictParser) eat(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// str parses a quoted string without escapes.
func (p *dictParser) str() (string, error) {
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("expected a quoted string at byte %d", p.i)
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at byte %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

// tuple parses a tuple of non-negative integers: (), (N,), (R, C), ...
func (p *dictParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, fmt.Errorf("expected '(' at byte %d", p.i)
	}
	shape := []int{}
	for {
		p.ws()
		if p.eat(')') {
			break
		}
		j := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		n, err := strconv.Atoi(p.s[j:p.i])
		if err != nil {
			return nil, fmt.Errorf("dimension %d is not a non-negative integer at byte %d", len(shape), j)
		}
		shape = append(shape, n)
		p.ws()
		if p.eat(',') {
			continue
		}
		if p.eat(')') {
			break
		}
		return nil, fmt.Errorf("expected ',' or ')' at byte %d", p.i)
	}
	if len(shape) == 0 {
		shape = nil
	}
	return shape, nil
}
