// The translation unit a header is validated in: the kernel headers (kfpolicy's stand-in or a
// kernel build directory's), the policy's struct, the header, and one constant per expression
// whose value the checks need.

import KFPolicy
#if canImport(Glibc)
import Glibc
#endif

extension HeaderValidation {
    /// The validation unit evaluating `exprs`, and its evaluation lines (line -> index).
    func translationUnit(_ exprs: [String]) throws -> (ClangTranslationUnit, [Int: Int]) {
        let (main, evalLines) = mainFileText(exprs, defineStruct: true)
        let tu = try parse(main)
        let redefinition = "redefinition of '\(policy.structName)'"
        if options.kernelHeaders != nil,
           tu.diagnostics.contains(where: { $0.location.file == mainFile && $0.message.hasPrefix(redefinition) }) {
            // The kernel headers define the struct themselves: use theirs.
            let (main, evalLines) = mainFileText(exprs, defineStruct: false)
            return (try parse(main), evalLines)
        }
        return (tu, evalLines)
    }

    /// The KF_ flags expressions the emitter writes for the policy's kfuncs (`KF_A | KF_B`).
    func expectedFlagExpressions() -> [String] {
        policy.kfuncs.compactMap { $0.flags.isEmpty ? nil : $0.flags.map(\.rawValue).joined(separator: " | ") }
    }

    func dedupe(_ xs: [String]) -> [String] {
        var seen = Set<String>()
        return xs.filter { seen.insert($0).inserted }
    }

    /// Names whose values the checks need, as expressions.
    func expectedNames() -> [String] {
        var e: [String] = [n.sleepable, n.ctxAny]
        for c in policy.contexts { e.append(n.ctx(c.name)) }
        for g in policy.groups { e.append(n.ctx(g.name)) }
        for c in policy.callbacks { e.append(opExpression(c.name)) }
        for f in policy.forms {
            for c in f.policy.callbacks { e.append(opExpression(c.name, in: f.policy.structName)) }
        }
        for k in policy.ownKfuncs { e.append(n.kfuncIndex(policy.kfuncs[k].name)) }
        e.append(n.nrKfuncs)
        e.append(n.implDefault)
        for k in policy.kfuncs { for i in k.impls { e.append(n.impl(i.symbol)) } }
        for f in KFFlag.allCases { e.append(f.rawValue) }
        e.append("0") // BTF_ID_FLAGS without flags
        return e
    }

    /// The op index of a member, as the C compiler computes it.
    func opExpression(_ member: String, in structName: String? = nil) -> String {
        "__builtin_offsetof(struct \(structName ?? policy.structName), \(member)) / sizeof(void (*)(void))"
    }

    /// The validation unit: kernel headers, the policy's struct (unless the headers define
    /// it), the header, then one constant per expression (line number -> expression index).
    func mainFileText(_ exprs: [String], defineStruct: Bool) -> (text: String, evalLines: [Int: Int]) {
        var s = "/* kfpolicy: a translation unit that checks a generated header. */\n"
        for h in ["linux/bpf.h", "linux/btf.h", "linux/btf_ids.h"] {
            s += "#include <\(h)>\n"
        }
        if defineStruct {
            for q in [policy] + policy.forms.map(\.policy) {
                s += "struct \(q.structName) {\n"
                for c in q.callbacks { s += "\tvoid (*\(c.name))(void);\n" }
                s += "};\n"
            }
        }
        s += "#include \"\(virtualHeader.split(separator: "/").last!)\"\n"
        var lines: [Int: Int] = [:]
        var line = s.split(separator: "\n", omittingEmptySubsequences: false).count
        for (i, e) in exprs.enumerated() {
            s += "static const long long __kfpolicy_eval_\(i) __attribute__((__unused__)) = (long long)(\(e));\n"
            lines[line] = i
            line += 1
        }
        return (s, lines)
    }

    func parse(_ main: String) throws -> ClangTranslationUnit {
        var args: [String]
        var unsaved: [(path: String, contents: String)] = [(mainFile, main), (virtualHeader, header)]
        if let dir = options.kernelHeaders {
            try KernelHeaders.checkRelease(buildDir: dir, for: policy.kernel)
            args = try KernelHeaders.arguments(buildDir: dir)
        } else {
            args = KernelStandIn.arguments
            unsaved += KernelStandIn.files.map { (KernelStandIn.includeDir + "/" + $0.0, $0.1) }
        }
        args += ["-I", KernelStandIn.root, "-Wall", "-Wextra", "-Wno-unused-function", "-Wno-unused-const-variable",
                 "-Winitializer-overrides", "-Werror=initializer-overrides", "-ferror-limit=0"]
        do {
            return try ClangTranslationUnit.parse(mainFile, arguments: args, unsaved: unsaved,
                                                  options: [.keepGoing, .detailedPreprocessingRecord])
        } catch { throw ValidationError(description: "\(error)") }
    }
}

/// Compiler flags for parsing against a kernel build directory's headers.
enum KernelHeaders {
    /// `buildDir` holds include/generated (Debian: /usr/src/linux-headers-<v>-amd64); the
    /// source headers are there too, or in the directory its Makefile includes (Debian's
    /// -common package).
    static func arguments(buildDir: String) throws -> [String] {
        let b = buildDir.hasSuffix("/") ? String(buildDir.dropLast()) : buildDir
        guard exists(b + "/include/generated/autoconf.h") else {
            throw ValidationError(description: "'\(buildDir)' is not a configured kernel build directory"
                                    + " (no include/generated/autoconf.h)")
        }
        var src = b
        if !exists(b + "/include/linux/bpf.h") {
            let isInclude = { (l: Substring) in l.hasPrefix("include ") && l.hasSuffix("/Makefile") }
            guard let mk = try? String(decoding: readFileBytes(b + "/Makefile"), as: UTF8.self),
                  let line = mk.split(separator: "\n").first(where: isInclude) else {
                throw ValidationError(description: "cannot find the kernel source headers for '\(buildDir)'"
                                        + " (no include/linux/bpf.h, and its Makefile names no source tree)")
            }
            src = String(line.dropFirst(8).dropLast(9)).trimmingSpaces
        }
        let arch = "x86"
        return ["-x", "c", "-std=gnu11", "-nostdinc", "--target=x86_64-linux-gnu",
                "-I", "\(src)/arch/\(arch)/include", "-I", "\(b)/arch/\(arch)/include/generated",
                "-I", "\(src)/include", "-I", "\(b)/include",
                "-I", "\(src)/arch/\(arch)/include/uapi", "-I", "\(b)/arch/\(arch)/include/generated/uapi",
                "-I", "\(src)/include/uapi", "-I", "\(b)/include/generated/uapi",
                "-include", "\(src)/include/linux/compiler-version.h", "-include", "\(src)/include/linux/kconfig.h",
                "-include", "\(src)/include/linux/compiler_types.h",
                "-D__KERNEL__", "-DMODULE", "-DKBUILD_MODNAME=\"kfpolicy\"", "-DKBUILD_BASENAME=\"kfpolicy\"",
                "-m64", "-mno-red-zone", "-mcmodel=kernel", "-fno-strict-aliasing"]
    }

    static func exists(_ p: String) -> Bool { access(p, F_OK) == 0 }

    /// Refuses headers of another kernel than the header is generated for: a header for a release
    /// needs that release's headers, one for mainline those of 7.0 or later. Validating against
    /// others would report each difference between the kernels as a bug in kfpolicy.
    static func checkRelease(buildDir: String, for kernel: Kernel) throws {
        let file = buildDir + "/include/generated/utsrelease.h"
        guard let text = try? String(decoding: readFileBytes(file), as: UTF8.self),
              let quote = text.split(separator: "\"").dropFirst().first else { return }
        let release = String(quote)
        let parts = release.split(separator: ".").prefix(2).map { Int($0.prefix { $0.isNumber }) }
        guard parts.count == 2, let major = parts[0], let minor = parts[1] else { return }
        let matches: Bool
        switch kernel {
        case .release(let m, let n): matches = (major, minor) == (m, n)
        case .mainline: matches = major >= 7
        }
        guard !matches else { return }
        throw ValidationError(description: "the kernel headers in '\(buildDir)' are Linux \(release), but the header is "
                                + "generated for \(kernel == .mainline ? "mainline" : "Linux \(kernel)"): validate against "
                                + "the headers of the kernel the policy is for (its 'kernel' statement, or gen --kernel)")
    }
}

extension String {
    /// The string without leading blanks and trailing blanks or carriage return.
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" || s.last == "\r" { s = s.dropLast() }
        return String(s)
    }
}
