// Reading a policy's includes and flattening its `if CONFIG_...` blocks: the checker sees one
// list of declarations, each with the Kconfig options it depends on.

/// One declaration of the flattened policy.
struct Declaration {
    let item: Item
    /// The Kconfig options of the `if` blocks around it, outermost first.
    let condition: Condition
}

/// Reads a file and, depth first, the files it includes; flattens their items in order.
struct Loader {
    let sources: SourceManager
    let reader: (String) throws(FileError) -> [UInt8]
    var diagnostics = DiagnosticBag()
    /// Every declaration of every file, includes expanded in place (an item's range names its file).
    var declarations: [Declaration] = []
    /// Paths read, in order (normalized), for depfiles.
    var paths: [String] = []
    var loaded: Set<String> = []
    /// The include chain being read: (path, range of the include that led here).
    var stack: [(path: String, via: SourceRange)] = []
    /// A `policy` declaration of the root file failed to parse (reported already).
    var brokenPolicy = false
    /// `form` statements: the file (resolved like an include) and the statement.
    var forms: [(path: String, range: SourceRange)] = []
    static let maxIncludeDepth = 64

    init(sources: SourceManager, reader: @escaping (String) throws(FileError) -> [UInt8]) {
        self.sources = sources; self.reader = reader
    }

    mutating func load(path: String, bytes: [UInt8]) -> SyntaxFile {
        let key = normalizePath(path)
        loaded.insert(key)
        paths.append(path)
        let id = sources.add(SourceFile(path: path, bytes: bytes))
        let (tree, bag) = Parser.parse(sources.files[id], file: id)
        diagnostics.append(contentsOf: bag)
        brokenPolicy = tree.items.contains { if case .broken = $0.kind { return $0.keyword.text == "policy" }; return false }
        stack.append((key, .none))
        expand(tree.items, condition: [], dir: directoryOf(path))
        stack.removeLast()
        return tree
    }

    mutating func expand(_ items: [Item], condition: Condition, dir: String) {
        for item in items {
            switch item.kind {
            case .conditional(let option, let inner, _):
                expand(inner, condition: condition + [option.text], dir: dir)
            case .include(let rel, let r):
                if !condition.isEmpty {
                    diagnostics.error(.notAllowedInConditional, "'include' inside an 'if' block", at: item.keyword.range,
                                      hint: "include the file unconditionally and put its declarations in 'if' blocks")
                    continue
                }
                if !item.damaged { include(rel, at: r, dir: dir) } // a path that did not lex is reported already
            case .form(let rel, let r):
                if !condition.isEmpty || stack.count > 1 {
                    diagnostics.error(.notAllowedInConditional, "'form' outside the policy's own file, or inside an 'if' block",
                                      at: item.keyword.range, hint: "name forms in the file that declares the policy")
                    continue
                }
                if !item.damaged { forms.append((resolve(rel, dir: dir), r)) }
            default:
                declarations.append(Declaration(item: item, condition: condition))
            }
        }
    }

    /// A path as written in `include` or `form`: relative to the file that names it.
    func resolve(_ rel: String, dir: String) -> String {
        rel.hasPrefix("/") || dir.isEmpty ? normalizePath(rel) : normalizePath(dir + "/" + rel)
    }

    mutating func include(_ rel: String, at r: SourceRange, dir: String) {
        let full = resolve(rel, dir: dir)
        if let at = stack.firstIndex(where: { $0.path == full }) {
            var notes: [DiagnosticNote] = []
            for j in (at + 1)..<stack.count {
                notes.append(DiagnosticNote("'\(stack[j - 1].path)' includes '\(stack[j].path)'", at: stack[j].via))
            }
            let chain = stack[at...].map { "'\($0.path)'" }.joined(separator: " -> ")
            diagnostics.error(.includeCycle, "include cycle: '\(full)' includes itself through \(chain) -> '\(full)'",
                              at: r, notes: notes, hint: "move the shared declarations into a file that includes nothing")
            return
        }
        if loaded.contains(full) { return }
        if stack.count >= Loader.maxIncludeDepth {
            diagnostics.error(.nestingTooDeep, "includes nested more than \(Loader.maxIncludeDepth) levels deep", at: r,
                              hint: "flatten the include chain")
            return
        }
        let bytes: [UInt8]
        do { bytes = try reader(full) } catch {
            diagnostics.error(.includeNotFound, "cannot include '\(rel)': \(error.reason)", at: r,
                              hint: "include paths are relative to the including file ('\(full)')")
            return
        }
        loaded.insert(full)
        paths.append(full)
        let id = sources.add(SourceFile(path: full, bytes: bytes))
        let (sub, bag) = Parser.parse(sources.files[id], file: id)
        diagnostics.append(contentsOf: bag)
        stack.append((full, r))
        expand(sub.items, condition: [], dir: directoryOf(full))
        stack.removeLast()
    }
}
