// Policy-wide statements: policy, prefix, kernel, module, nesting, runtime_guards.

extension Checker {
    /// The first occurrence of a statement that may appear once; a repeat is an error.
    mutating func once(_ seen: inout SourceRange?, _ d: Declaration) -> Bool {
        if let prev = seen {
            diagnostics.error(d.item.keyword.text == "policy" ? .duplicatePolicy : .duplicateStatement,
                              "second '\(d.item.keyword.text)' declaration", at: d.item.keyword.range,
                              notes: [DiagnosticNote("first declared here", at: prev)])
            return false
        }
        seen = d.item.range
        return true
    }

    mutating func declareStatements(_ decls: [Declaration], rootFile: Int, brokenPolicy: Bool) {
        var policySeen, prefixSeen, kernelSeen, moduleSeen, nestingSeen, guardsSeen: SourceRange?
        var vmlinuxStruct: Name?
        for d in decls {
            let item = d.item
            switch item.kind {
            case .policy(let name, let structName, let vmlinux):
                if item.range.file != rootFile {
                    diagnostics.error(.policyInInclude, "'policy' declared in an included file", at: item.keyword.range,
                                      hint: "only the file given on the command line names the policy; included files hold shared declarations")
                    continue
                }
                guard unconditional(d), once(&policySeen, d) else { continue }
                policy.name = name.text
                policy.structName = structName.text
                policy.doc = item.trivia.doc
                policy.range = item.range
                vmlinuxStruct = vmlinux
                checkIdentifier(name, "policy")
            case .prefix(let p):
                guard unconditional(d), once(&prefixSeen, d) else { continue }
                policy.prefix = p.text
            case .kernel(let v):
                guard unconditional(d), once(&kernelSeen, d) else { continue }
                guard let k = Kernel(v.text), k.atLeast(6, 9) else {
                    diagnostics.error(.badStatementValue, "unsupported kernel '\(v.text)'", at: v.range,
                                      hint: "write a release from \(Kernel.oldest) on (kfunc set filters and module struct_ops), e.g. 'kernel 6.12;', or 'kernel mainline;'")
                    continue
                }
                policy.kernel = k
            case .module(let m):
                guard unconditional(d), once(&moduleSeen, d) else { continue }
                policy.module = m.text
            case .nesting(let mode):
                guard unconditional(d), once(&nestingSeen, d) else { continue }
                guard let m = NestingMode(rawValue: mode.text) else {
                    diagnostics.error(.badStatementValue, "unknown nesting mode '\(mode.text)'", at: mode.range,
                                      hint: "write 'nesting dag;' (the whole graph is acyclic) or 'nesting per_instance;'")
                    continue
                }
                policy.nesting = m
            case .runtimeGuards:
                guard unconditional(d), once(&guardsSeen, d) else { continue }
                policy.runtimeGuards = true
            case .deny(let set):
                guard unconditional(d) else { continue }
                deniedSets.append((set, d.item.range))
            default: break
            }
        }
        if policySeen == nil, !brokenPolicy {
            diagnostics.error(.missingPolicy, "file declares no policy", at: SourceRange(file: rootFile, start: 0, end: 0),
                              hint: "start the file with 'policy NAME for struct STRUCT;'")
        }
        if policy.prefix.isEmpty { policy.prefix = policy.name }
        policy.structInVmlinux = policy.module == nil || vmlinuxStruct != nil
        if let v = vmlinuxStruct, policy.module == nil {
            diagnostics.warning(.badStatementValue, "'vmlinux' says nothing without 'module'", at: v.range,
                                hint: "the struct of a policy whose sets vmlinux registers is vmlinux's anyway; remove 'vmlinux'")
        }
    }
}
