// Command shoal-interop exposes Debian's Go memberlist 0.2.2 codec to Shoal's
// TypeScript tests: `vectors` writes Go's encodings, `check` decodes Shoal's,
// `bench` times Go's own encode/decode.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: shoal-interop vectors [-out file] | check | bench [-duration 400ms]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "vectors":
		fs := flag.NewFlagSet("vectors", flag.ExitOnError)
		outPath := fs.String("out", "", "write to this file instead of stdout")
		fs.Parse(os.Args[2:])
		w := os.Stdout
		if *outPath != "" {
			f, ferr := os.Create(*outPath)
			if ferr != nil {
				fmt.Fprintln(os.Stderr, ferr)
				os.Exit(1)
			}
			defer f.Close()
			w = f
		}
		err = runVectors(w)
	case "check":
		err = runCheck(os.Stdin, os.Stdout)
	case "bench":
		fs := flag.NewFlagSet("bench", flag.ExitOnError)
		d := fs.Duration("duration", 400*time.Millisecond, "time spent per encode or decode measurement")
		fs.Parse(os.Args[2:])
		err = runBench(os.Stdout, *d)
	default:
		err = fmt.Errorf("unknown subcommand %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
