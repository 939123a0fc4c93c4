// The include directories a BPF build gets from the clang driver and the scx build system, found
// at run time for the libclang kfpolicy is linked with: libclang parses with `-target bpf` but,
// loaded from a distribution's library directory, does not find its own builtin headers, and the
// BPF target has no system include directories at all.

internal import CLibClang
#if canImport(Glibc)
import Glibc
#endif

/// clang's builtin headers and the system include directories for the libclang in use.
public struct LintToolchain: Sendable {
    /// libclang's own version text, e.g. "Debian clang version 14.0.6".
    public let clangVersion: String
    /// The shared library the process loaded libclang from (as the dynamic linker opened it).
    public let libraryPath: String?
    /// clang's builtin header directory (`<resource dir>/include`: stddef.h, stdbool.h,
    /// limits.h), nil when no candidate holds the headers.
    public let builtinIncludeDir: String?
    /// The host's C headers, searched after everything else as a scx build adds them
    /// (`-idirafter`): /usr/local/include, the multiarch directory, /usr/include.
    public let systemIncludeDirs: [String]

    /// The architecture libbpf's bpf_tracing.h is told about (`-D__TARGET_ARCH_<arch>`): the
    /// host's, as a scx build passes it.
    public let targetArch: String

    /// Found once per process.
    public static let current = LintToolchain.find()

    /// The arguments to add after a file's own: `-isystem` the builtin headers (so they come
    /// after the user's `-isystem` directories, as the driver orders them) and `-idirafter`
    /// each system directory. `-nostdinc` drops both, `-nostdlibinc` the system directories,
    /// `-nobuiltininc` the builtin headers, as they do for clang.
    public func arguments(after user: [String]) -> [String] {
        let noStd = user.contains("-nostdinc")
        var out: [String] = []
        if !noStd, !user.contains("-nobuiltininc"), let b = builtinIncludeDir { out += ["-isystem", b] }
        if !noStd, !user.contains("-nostdlibinc") { for d in systemIncludeDirs { out += ["-idirafter", d] } }
        return out
    }

    static func find() -> LintToolchain {
        let version = libclangVersion()
        let library = loadedLibraryPath()
        let builtin = builtinCandidates(version: version, library: library).first { dir in
            isDirectory(dir) && exists(dir + "/stddef.h")
        }
        var machine = utsname()
        uname(&machine)
        let arch = withUnsafeBytes(of: machine.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let system = ["/usr/local/include", "/usr/include/" + multiarch(library: library, machine: arch),
                      "/usr/include"]
        return LintToolchain(clangVersion: version, libraryPath: library, builtinIncludeDir: builtin,
                             systemIncludeDirs: system.filter(isDirectory), targetArch: targetArch(machine: arch))
    }

    /// libbpf's name for a machine (`uname -m`), as the kernel's and scx's builds map it.
    static func targetArch(machine: String) -> String {
        switch machine {
        case "x86_64", "i386", "i486", "i586", "i686": "x86"
        case "aarch64", "arm64": "arm64"
        case "riscv64", "riscv32": "riscv"
        case "s390x", "s390": "s390"
        case "ppc64le", "ppc64", "ppc": "powerpc"
        case "loongarch64": "loongarch"
        case let m where m.hasPrefix("arm"): "arm"
        case let m where m.hasPrefix("mips"): "mips"
        default: machine
        }
    }

    /// Where the builtin headers may be, most likely first: next to the library as clang itself
    /// looks (`<lib dir>/../lib/clang/<version>`), the same from the library's real path, and
    /// the LLVM tree of the library's major version (Debian's /usr/lib/llvm-<major>).
    /// Newer clangs name the directory after the major version only; both are tried.
    static func builtinCandidates(version: String, library: String?) -> [String] {
        guard let full = versionNumber(version) else { return [] }
        let major = String(full.prefix { $0 != "." })
        var roots: [String] = []
        if let library {
            for path in [library, realPath(library)].compactMap({ $0 }) {
                let dir = parentDirectory(path)
                roots += [dir + "/../lib/clang", dir + "/clang"]
            }
        }
        roots.append("/usr/lib/llvm-\(major)/lib/clang")
        var out: [String] = []
        for r in roots {
            for v in [full, major] {
                let candidate = normalize(r + "/" + v + "/include")
                if !out.contains(candidate) { out.append(candidate) }
            }
        }
        return out
    }

    /// `14.0.6` from "Debian clang version 14.0.6" (the first word made of digits and dots
    /// after "version").
    static func versionNumber(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard let i = words.firstIndex(of: "version"), i + 1 < words.count else { return nil }
        let v = words[i + 1].prefix { $0.isNumber || $0 == "." }
        return v.first?.isNumber == true ? String(v) : nil
    }

    /// The multiarch tuple of the host's C headers: the directory the library sits in when it is
    /// one (/usr/lib/x86_64-linux-gnu), else `<machine>-linux-gnu`.
    static func multiarch(library: String?, machine: String) -> String {
        if let library {
            let dir = lastPathComponent(parentDirectory(library))
            if dir.contains("-linux-"), isDirectory("/usr/include/" + dir) { return dir }
        }
        return machine + "-linux-gnu"
    }

    /// The file the dynamic linker loaded libclang from: the mapping of /proc/self/maps that
    /// holds one of its functions.
    static func loadedLibraryPath() -> String? {
        let symbol: @convention(c) () -> CXString = clang_getClangVersion
        let address = UInt(bitPattern: unsafeBitCast(symbol, to: Int.self))
        guard let maps = readStream("/proc/self/maps") else { return nil }
        for line in maps.split(separator: 10) {
            let fields = line.split(separator: 0x20, omittingEmptySubsequences: true)
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: UInt8(ascii: "-")),
                  let lo = UInt(String(decoding: fields[0][..<dash], as: UTF8.self), radix: 16),
                  let hi = UInt(String(decoding: fields[0][(dash + 1)...], as: UTF8.self), radix: 16),
                  lo <= address, address < hi else { continue }
            return String(decoding: line[fields[5].startIndex...], as: UTF8.self)
        }
        return nil
    }
}

/// A whole file read until end of file (for /proc files, whose size stat does not know).
func readStream(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        out += chunk[..<n]
    }
    return out
}

func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

func isDirectory(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

func realPath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}

func parentDirectory(_ path: String) -> String {
    guard let s = path.lastIndex(of: "/") else { return "." }
    return s == path.startIndex ? "/" : String(path[..<s])
}
