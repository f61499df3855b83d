// A tiny main package the build tests package for Lambda.
package main

import "fmt"

func main() { fmt.Println("hello from bootstrap") }
