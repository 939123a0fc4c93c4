// The open documents and what kfpolicy's compiler says about them. Every change recompiles
// every open policy (a real policy is about 20 KB and compiles in milliseconds), with the open
// documents' unsaved text standing in for the files on disk, includes too.

import KFPolicy

/// A document the client has open.
struct Document {
    let uri: String
    /// The file's path, normalized; for a URI that names no file, the URI itself.
    let path: String
    var text: [UInt8]
    var version: Int
}

/// The open documents, their compilations and the diagnostics published for them.
struct Workspace {
    var documents: [String: Document] = [:]
    var encoding = PositionEncoding.utf16
    /// The compilation each open document belongs to: its own when it declares a policy, else
    /// that of an open policy that includes it.
    private(set) var compilations: [String: Compilation] = [:]
    /// The names in each open document.
    private(set) var symbols: [String: FileSymbols] = [:]
    /// URIs with diagnostics published last time, to clear those that went away.
    private var published: Set<String> = []

    mutating func open(uri: String, text: [UInt8], version: Int) {
        documents[uri] = Document(uri: uri, path: normalized(path(fromURI: uri)), text: text, version: version)
    }

    mutating func change(uri: String, text: [UInt8], version: Int) {
        guard documents[uri] != nil else { return open(uri: uri, text: text, version: version) }
        documents[uri]!.text = text
        documents[uri]!.version = version
    }

    mutating func close(uri: String) { documents[uri] = nil }

    /// The URI a path is known to the client by: an open document's own URI, else a file URI.
    func uri(of path: String) -> String {
        let p = normalized(path)
        return documents.values.first { $0.path == p }?.uri ?? KFPolicyLSP.uri(fromPath: p)
    }

    /// Recompiles everything; returns the `publishDiagnostics` parameters to send: every open
    /// document and every file with diagnostics, and an empty list for files whose diagnostics
    /// went away.
    mutating func analyze() -> [JSON] {
        let byPath = Dictionary(documents.values.map { ($0.path, $0.text) }, uniquingKeysWith: { a, _ in a })
        // Includes are read from the editor's buffers when they are open there.
        let reader: (String) throws(FileError) -> [UInt8] = { p throws(FileError) in
            if let text = byPath[normalized(p)] { return text }
            return try readFileBytes(p)
        }
        compilations = [:]
        symbols = [:]
        var diagnostics: [String: [JSON]] = [:]
        var seen: Set<String> = []
        var syntaxOnly: [(uri: String, sources: SourceManager, bag: DiagnosticBag)] = []
        for doc in documents.values.sorted(by: { $0.uri < $1.uri }) {
            let sources = SourceManager()
            let id = sources.add(SourceFile(path: doc.path, bytes: doc.text))
            let (tree, bag) = Parser.parse(sources.files[id], file: id)
            symbols[doc.uri] = FileSymbols(tree)
            guard tree.items.contains(where: { if case .policy = $0.kind { return true }; return false }) else {
                syntaxOnly.append((doc.uri, sources, bag))
                continue
            }
            let c = Compilation.compile(path: doc.path, bytes: doc.text, reader: reader)
            compilations[doc.uri] = c
            for file in c.policy.files.dropFirst() {
                let u = uri(of: file)
                if documents[u] != nil, compilations[u] == nil { compilations[u] = c }
            }
            add(c.diagnostics.sorted, c.sources, into: &diagnostics, seen: &seen)
        }
        // An included file alone declares no policy: it is checked by the open policies that
        // include it, or else for its syntax only.
        for s in syntaxOnly where compilations[s.uri] == nil {
            add(s.bag.sorted, s.sources, into: &diagnostics, seen: &seen)
        }
        for uri in documents.keys where diagnostics[uri] == nil { diagnostics[uri] = [] }
        var out: [JSON] = []
        for uri in Set(diagnostics.keys).union(published).sorted() {
            var params: [String: JSON] = ["uri": .string(uri), "diagnostics": .array(diagnostics[uri] ?? [])]
            if let v = documents[uri]?.version { params["version"] = .int(v) }
            out.append(.object(params))
        }
        published = Set(diagnostics.keys)
        return out
    }

    /// LSP diagnostics of kfpolicy diagnostics, by the URI of the file each is in; a diagnostic
    /// reported by two open policies (in a file both include) is kept once.
    private func add(_ ds: [Diagnostic], _ sources: SourceManager, into out: inout [String: [JSON]],
                     seen: inout Set<String>) {
        var indexes: [Int: LineIndex] = [:]
        func location(_ r: SourceRange) -> (uri: String, range: JSON)? {
            guard let f = sources.file(r) else { return nil }
            let index = indexes[r.file] ?? LineIndex(f.text, encoding: encoding)
            indexes[r.file] = index
            return (uri(of: f.path), index.range(r.start, r.end))
        }
        for d in ds {
            var message = d.message
            var related: [JSON] = []
            for n in d.notes {
                if let l = location(n.range) {
                    let location: JSON = ["uri": .string(l.uri), "range": l.range]
                    related.append(["location": location, "message": .string(n.message)])
                } else {
                    message += "\nnote: " + n.message
                }
            }
            if let h = d.hint { message += "\nhint: " + h }
            // A diagnostic of no file (none is today) is shown at the top of the policy.
            let place = location(d.range)
                ?? sources.files.first.map { (uri(of: $0.path), LineIndex($0.text, encoding: encoding).range(0, 0)) }
            guard let place else { continue }
            let key = "\(place.uri) \(d.range.start) \(d.range.end) \(d.id.rawValue) \(d.message)"
            guard seen.insert(key).inserted else { continue }
            var diagnostic: [String: JSON] = [
                "range": place.range, "severity": .int(severity(d.severity)), "code": .string(d.id.rawValue),
                "source": "kfpolicy", "message": .string(message),
            ]
            if !related.isEmpty { diagnostic["relatedInformation"] = .array(related) }
            out[place.uri, default: []].append(.object(diagnostic))
        }
    }

    /// LSP's DiagnosticSeverity: 1 error, 2 warning, 3 information.
    private func severity(_ s: Severity) -> Int {
        switch s {
        case .error: return 1
        case .warning: return 2
        case .note: return 3
        }
    }

    /// The line index of an open document.
    func lineIndex(_ uri: String) -> LineIndex? {
        documents[uri].map { LineIndex($0.text, encoding: encoding) }
    }

    /// The LSP location of a range of a compilation's sources.
    func location(_ r: SourceRange, in c: Compilation) -> JSON? {
        guard let f = c.sources.file(r) else { return nil }
        return ["uri": .string(uri(of: f.path)), "range": LineIndex(f.text, encoding: encoding).range(r.start, r.end)]
    }
}
