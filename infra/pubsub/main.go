// Command pstest-server serves the in-memory Google Cloud Pub/Sub fake
// (cloud.google.com/go/pubsub/v2/pstest) on a TCP address, so that tests and
// sample applications can use it as PUBSUB_EMULATOR_HOST.
//
//	pstest-server -addr 127.0.0.1:8085
//
// The fake keeps everything in memory: a restart starts with no topics,
// subscriptions or messages. It stops cleanly on SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8085", "host:port to listen on")
	streamTimeout := flag.Duration("stream-timeout", 0,
		"close streaming pulls after this long, as the real service does after 30m (0: never)")
	flag.Parse()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.LUTC)

	// pstest panics when it cannot listen; check first for a clear message.
	probe, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pstest-server: cannot listen on %s: %v\n", *addr, err)
		os.Exit(1)
	}
	_ = probe.Close()

	srv := pstest.NewServerWithAddress(*addr)
	if *streamTimeout > 0 {
		srv.SetStreamTimeout(*streamTimeout)
	}
	log.Printf("pstest-server: Pub/Sub fake listening on %s (pid %d)", srv.Addr, os.Getpid())

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	sig := <-signals
	log.Printf("pstest-server: %s received, shutting down", sig)

	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			log.Printf("pstest-server: close: %v", err)
		}
	case <-time.After(5 * time.Second):
		log.Printf("pstest-server: close timed out, exiting")
	}
}
