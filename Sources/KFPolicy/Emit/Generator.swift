// What `kfpolicy gen` produces for a policy: file names and contents. Writing is the CLI's job.

/// The kinds of output `gen` can emit.
public enum OutputKind: String, Sendable, CaseIterable {
    /// The kernel C header.
    case c
    /// Swift tables (SwiftEmitter), `<Stem>Policy.swift`.
    case swift
}

public struct GeneratedFile: Sendable {
    /// The file name inside the output directory.
    public let name: String
    /// The file's UTF-8 bytes.
    public let bytes: [UInt8]
    public var contents: String { String(decoding: bytes, as: UTF8.self) }
    /// For a C header, the policy declaration behind each line (`CEmitter.headerWithOrigins`),
    /// so validation can point back into the policy.
    public var origins: [SourceRange]? = nil

    public init(name: String, contents: String, origins: [SourceRange]? = nil) {
        self.init(name: name, bytes: Array(contents.utf8), origins: origins)
    }

    public init(name: String, bytes: [UInt8], origins: [SourceRange]? = nil) {
        self.name = name; self.bytes = bytes; self.origins = origins
    }
}

public enum Generator {
    /// The file stem of a policy path: `Policies/scx.policy` -> `scx`.
    public static func stem(of path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        return base.hasSuffix(".policy") ? String(base.dropLast(7)) : base
    }

    /// The files `gen` writes for a policy read from `path`.
    public static func outputs(_ policy: Policy, path: String, emit: [OutputKind]) -> [GeneratedFile] {
        let s = stem(of: path)
        let base = path.split(separator: "/").last.map(String.init) ?? path
        var files: [GeneratedFile] = []
        for kind in emit {
            switch kind {
            case .c:
                let h = CEmitter.headerWithOrigins(policy, sourceName: base)
                files.append(GeneratedFile(name: "\(s)_kfpolicy.h", contents: h.text, origins: h.origins))
            case .swift: files.append(GeneratedFile(name: SwiftNamer.fileName(forPolicyAt: path), contents: SwiftEmitter.source(policy, sourceName: base)))
            }
        }
        return files
    }

    /// A make rule: every output depends on every file read, plus an empty rule per input so
    /// a deleted include does not break the build (as gcc -MP does).
    public static func depfile(targets: [String], inputs: [String]) -> String {
        func esc(_ s: String) -> String { s.replacingAll("$", with: "$$").replacingAll(" ", with: "\\ ").replacingAll("#", with: "\\#") }
        var out = targets.map(esc).joined(separator: " ") + ":"
        for i in inputs { out += " \\\n  " + esc(i) }
        out += "\n"
        for i in inputs { out += "\n" + esc(i) + ":\n" }
        return out
    }
}
