// The libFuzzer target for the parser, checker, formatter and emitters. Build and run it with
// (from the package root; libFuzzer comes with the Swift toolchain on Linux):
//
//   swift build -c release --scratch-path .build-fuzz --product kfpolicy-fuzz \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -DKFPOLICY_LIBFUZZER
//   mkdir -p .build-fuzz/corpus
//   .build-fuzz/release/kfpolicy-fuzz .build-fuzz/corpus Tests/FuzzCorpus \
//       -max_total_time=600 -max_len=16384 -rss_limit_mb=2048 -timeout=10
//
// Without -DKFPOLICY_LIBFUZZER (a plain `swift build`) it is a replay tool: it runs the same
// checks on each file named on its command line, e.g. a crash input libFuzzer saved.

import KFPolicyFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func kfpolicyFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzOracle.check(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

#if KFPOLICY_LIBFUZZER
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's driver, for a main of our own (SwiftPM names the executable's entry point).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

@main
struct FuzzDriver {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, { data, size in kfpolicyFuzzOne(data, size) }))
    }
}
#else
import KFPolicy

@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            do { FuzzOracle.check(try readFileBytes(path)) } catch { print("\(error)"); continue }
            print("\(path): ok")
        }
    }
}
#endif
