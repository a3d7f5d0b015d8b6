package main

import (
	"bytes"
	"compress/lzw"
	"io"
)

// lzwCompress and lzwDecompress use Go's compress/lzw exactly as memberlist does (LSB, 8-bit literals).
func lzwCompress(data []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := lzw.NewWriter(&buf, lzw.LSB, 8)
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func lzwDecompress(data []byte) ([]byte, error) {
	r := lzw.NewReader(bytes.NewReader(data), lzw.LSB, 8)
	defer r.Close()
	var out bytes.Buffer
	if _, err := io.Copy(&out, io.LimitReader(r, 64<<20)); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}
