// Command httpserver is the process-runtime e2e tests' stand-in for
// `python3 -m http.server` where python3 is missing: it prints "started" and
// serves a fixed page on the address given by -listen.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
)

func main() {
	listen := flag.String("listen", ":8080", "address to serve on")
	flag.Parse()
	fmt.Println("started")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Directory listing for %s\n", r.URL.Path)
	})
	log.Fatal(http.ListenAndServe(*listen, nil))
}
