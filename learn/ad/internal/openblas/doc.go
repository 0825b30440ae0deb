// Package openblas links OpenBLAS into a binary built with -tags openblas and
// limits it to one thread. It is a separate package because package ad has
// Go assembly, which a cgo package may not contain. Without the tag it is
// empty.
package openblas
