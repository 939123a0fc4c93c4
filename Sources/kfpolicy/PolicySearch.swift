// Finding a policy given by name (`scx`, `scx@6.12`) rather than by path, so a scheduler's
// Makefile can say `kfpolicy lint --policy scx ...` without a kfpolicy checkout.

import KFPolicy
import KFPolicyDriver
import KFPolicyRender
#if canImport(Glibc)
import Glibc
#endif

/// Where policies given by name are looked for, and how a name becomes a file name.
///
/// A command-line policy argument is, in order:
/// 1. a path, when a file by that name exists, or the argument holds a `/` or ends in `.policy`;
/// 2. otherwise a name, `NAME` for `NAME.policy` and `NAME@VERSION` for `NAME-VERSION.policy`,
///    looked for in each directory of `$KFPOLICY_POLICY_PATH` (colon-separated), then in
///    `<prefix>/share/kfpolicy/policies` for the prefix the running binary is installed under
///    (`<prefix>/bin/kfpolicy`), then, for a binary built in a kfpolicy checkout (under its
///    `.build*` directory), in the checkout's `Policies/`.
enum PolicySearch {
    /// A directory searched for names, and why it is searched (for messages).
    struct Directory: Equatable {
        let path: String
        let origin: String
    }

    /// The file name a policy name stands for, or nil when `argument` is no name.
    static func fileName(forName argument: String) -> String? {
        let parts = argument.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        // ASCII letters, digits, '_' and `extra`, not starting with '-' or '.'.
        func word(_ s: String, extra: String) -> Bool {
            guard let first = s.utf8.first, first != UInt8(ascii: "-"), first != UInt8(ascii: ".") else { return false }
            return s.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || b == UInt8(ascii: "_")
                    || extra.utf8.contains(b)
            }
        }
        guard word(parts[0], extra: "-") else { return nil }
        if parts.count == 1 { return parts[0] + ".policy" }
        guard word(parts[1], extra: ".-+") else { return nil }
        return parts[0] + "-" + parts[1] + ".policy"
    }

    /// The name a policy file answers to: `scx-6.12.policy` is `scx@6.12` (a version starts
    /// with a digit), `tcp_cong.policy` is `tcp_cong`.
    static func name(ofFile file: String) -> String {
        let stem = String(file.dropLast(".policy".count))
        if let dash = stem.lastIndex(of: "-"), let v = stem[stem.index(after: dash)...].first, v.isNumber {
            return stem[..<dash] + "@" + stem[stem.index(after: dash)...]
        }
        return stem
    }

    /// The directories searched, in order; those that do not exist are left out.
    static func directories(environment: String? = getenv("KFPOLICY_POLICY_PATH").map { String(cString: $0) },
                            executable: String? = executablePath()) -> [Directory] {
        var out: [Directory] = []
        for d in (environment ?? "").split(separator: ":") where isDirectory(String(d)) {
            out.append(Directory(path: String(d), origin: "$KFPOLICY_POLICY_PATH"))
        }
        guard let executable else { return out }
        let bin = directoryName(executable)
        let installed = directoryName(bin) + "/share/kfpolicy/policies"
        if isDirectory(installed) { out.append(Directory(path: installed, origin: "installed with kfpolicy")) }
        // A binary built in a checkout lives under <checkout>/.build*/...: the checkout holds
        // Package.swift and Policies/.
        var dir = bin
        while dir != "/" && !dir.isEmpty {
            let base = dir.split(separator: "/").last.map(String.init) ?? ""
            let parent = directoryName(dir)
            if base.hasPrefix(".build"), isDirectory(parent + "/Policies"), isRegularFile(parent + "/Package.swift") {
                out.append(Directory(path: parent + "/Policies", origin: "kfpolicy checkout"))
                break
            }
            dir = parent
        }
        return out
    }

    /// The path to read for a policy argument.
    static func resolve(_ argument: String, in directories: [Directory]) throws(FileError) -> String {
        if isRegularFile(argument) || argument.contains("/") || argument.hasSuffix(".policy") { return argument }
        guard let file = fileName(forName: argument) else {
            throw FileError(path: argument, reason: "no such file, and not a policy name (NAME or NAME@VERSION)")
        }
        for d in directories where access(d.path + "/" + file, R_OK) == 0 {
            return d.path + "/" + file
        }
        var reason = "no such file, and no policy named '\(argument)' (\(file)) in "
        reason += directories.isEmpty ? "any directory: set KFPOLICY_POLICY_PATH or install kfpolicy's policies"
            : directories.map { "\($0.path) (\($0.origin))" }.joined(separator: ", ")
        let known = Set(directories.flatMap { policyFiles(inDirectory: $0.path) }.map(name(ofFile:))).sorted()
        if !known.isEmpty { reason += "; known names: " + known.joined(separator: ", ") }
        throw FileError(path: argument, reason: reason)
    }

    /// The running binary's real path (symbolic links resolved), from /proc/self/exe.
    static func executablePath() -> String? {
        guard let p = realpath("/proc/self/exe", nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    static func directoryName(_ p: String) -> String {
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return slash == p.startIndex ? "/" : String(p[..<slash])
    }

    static func isDirectory(_ p: String) -> Bool { fileType(p) == S_IFDIR }
    static func isRegularFile(_ p: String) -> Bool { fileType(p) == S_IFREG }

    static func fileType(_ p: String) -> mode_t? {
        var st = stat()
        return stat(p, &st) == 0 ? st.st_mode & S_IFMT : nil
    }
}

/// The path for a policy argument (a path or a name), or exit 2 with the search path.
func resolvePolicyOrExit(_ argument: String) throws -> String {
    do { return try PolicySearch.resolve(argument, in: PolicySearch.directories()) } catch {
        eprint("kfpolicy: error: cannot read \(error)\n")
        throw ExitWith(status: .usageOrIO)
    }
}

/// The generic kfuncs of `kernel`, which lint and explain add to a policy for it:
/// `generic/bpf-<kernel>.policy` beside the policy at `policyPath`, else in the directories
/// policy names are looked up in. Nil, with a note, when there is none.
func genericPolicy(of kernel: Kernel, besidePolicy policyPath: String) -> String? {
    let file = "generic/bpf-\(kernel).policy"
    let dirs = [PolicySearch.directoryName(policyPath)] + PolicySearch.directories().map(\.path)
    if let found = dirs.map({ $0 + "/" + file }).first(where: PolicySearch.isRegularFile) { return found }
    eprint("kfpolicy: note: no \(file) beside the policy or where policies are looked up: the generic "
               + "kfuncs of \(kernel) are unknown; give them with --with FILE, or --no-generic\n")
    return nil
}
