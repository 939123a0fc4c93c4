// The only module that imports libclang. Everything that parses C (validating generated
// headers, reading kernel sources, linting BPF programs) lives here.

internal import CLibClang

/// The version string of the libclang in use.
public func libclangVersion() -> String {
    let s = clang_getClangVersion()
    defer { clang_disposeString(s) }
    return String(cString: clang_getCString(s))
}
