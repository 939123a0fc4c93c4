import Foundation
import KFPolicy
import XCTest

/// Lexer, parser and formatter.
final class FrontEndTests: XCTestCase {
    /// Every token of `s` up to and including the end of file, and the lexer that made them.
    func tokens(_ s: String) -> (tokens: [Token], lexer: Lexer) {
        var l = Lexer(SourceFile(path: "t", text: s), file: 0)
        var t: [Token] = []
        repeat { t.append(l.next()) } while t.last!.kind != .eof
        return (t, l)
    }

    func testLexerTokensCommentsAndPositions() {
        let (t, list) = tokens("/// doc\ncontext a; // trailing\n\ngroup g = a | b - c & ~d;\nnest x -> y; include \"a\\\"b\" kernel 6.12;")
        XCTAssertEqual(t.map(list.text).joined(separator: " "), "context a ; group g = a | b - c & ~ d ; nest x -> y ; include a\"b kernel 6.12 ; ")
        XCTAssertEqual(t[t.count - 3].kind, .number, "a version number is one token")
        XCTAssertEqual(list.comments(t[0]).map(\.text), ["/// doc"])
        XCTAssertTrue(list.comments(t[0]).first!.isDoc)
        XCTAssertEqual(list.comments(t[3]).first?.text, "// trailing")
        XCTAssertFalse(list.comments(t[3]).first!.ownLine, "a comment after code on its line is not on its own line")
        XCTAssertTrue(t[3].blankBefore, "blank line before 'group'")
        XCTAssertTrue(list.isWord(t[0], "context"))
        XCTAssertFalse(list.isWord(t[0], "contex"))
        let arrow = t.first { $0.kind == .arrow }!
        XCTAssertEqual(SourceFile(path: "t", text: "/// doc\ncontext a; // trailing\n\ngroup g = a | b - c & ~d;\nnest x -> y;").lineColumn(arrow.range.start).line, 5)
    }

    func testLexerReportsBadCharactersOnceAndGoesOn() {
        let (t, l) = tokens("context é a;")
        XCTAssertEqual(l.diagnostics.items.map(\.id), [.invalidCharacter])
        XCTAssertEqual(t.map(l.text), ["context", "a", ";", ""])
    }

    func testLineColumnAndLineText() {
        let f = SourceFile(path: "p", text: "ab\ncd\r\nef")
        XCTAssertEqual(f.lineColumn(0).line, 1)
        XCTAssertEqual(f.lineColumn(4).line, 2)
        XCTAssertEqual(f.lineColumn(4).column, 2)
        XCTAssertEqual(f.lineText(2), "cd")
        XCTAssertEqual(f.lineText(3), "ef")
    }

    func testParserBuildsEveryDeclaration() {
        let src = """
            policy p for struct s_ops;
            prefix pp;
            include "x.policy";
            context a;
            group g = (a | b) & ~c - d;
            callback x, y: a sleepable;
            requirement r;
            set s: struct_ops, syscall;
            kfunc k {
                in s;
                flags KF_RCU | KF_ACQUIRE;
                allow g;
                requires sleepable, r;
                invokes x;
                impl y = k_y;
            }
            nest x -> y;
            """
        let (tree, bag) = Parser.parse(SourceFile(path: "t", text: src), file: 0)
        XCTAssertFalse(bag.hasErrors)
        XCTAssertEqual(tree.items.map(\.keyword.text), ["policy", "prefix", "include", "context", "group", "callback", "requirement", "set", "kfunc", "nest"])
        guard case .group(_, let e) = tree.items[4].kind else { return XCTFail() }
        XCTAssertEqual(Formatter.mask(e), "(a | b) & ~c - d")
        guard case .callback(let ns, _, let props) = tree.items[5].kind else { return XCTFail() }
        XCTAssertEqual(ns.map(\.text), ["x", "y"])
        XCTAssertEqual(props.map(\.text), ["sleepable"])
        guard case .kfunc(_, let stmts, _) = tree.items[8].kind else { return XCTFail() }
        XCTAssertEqual(stmts.map(\.keyword.text), ["in", "flags", "allow", "requires", "invokes", "impl"])
    }

    func testParserRecoversAndReportsEveryError() {
        let src = "policy p for struct s;\ncontext a\ncontext b;\ngroup = a;\nkfunc k { allow ; in s; }\ncallback x: a;\n"
        let (tree, bag) = Parser.parse(SourceFile(path: "t", text: src), file: 0)
        XCTAssertEqual(bag.items.count, 3, bag.items.map(\.message).joined(separator: "\n"))
        // The declarations around the errors survive; the broken group is kept as broken.
        XCTAssertEqual(tree.items.map(\.keyword.text), ["policy", "context", "context", "group", "kfunc", "callback"])
        if case .broken(nil) = tree.items[3].kind {} else { XCTFail("the group is broken and declares no name") }
        XCTAssertTrue(tree.items[4].damaged)
    }

    func testDocCommentsAttachToTheNextDeclarationOnly() {
        let src = "policy p for struct s;\n/// about a\n/// more\ncontext a;\n/// detached\n\ncontext b;\ncallback x: a | b;\n"
        let c = compileText(src)
        XCTAssertEqual(c.policy.contexts.map(\.doc), ["about a\nmore", nil])
    }

    func testFormatterCanonicalLayoutKeepsComments() {
        let src = """
            // header comment

            policy  p for struct s_ops ;
            context a;   // why a
            context b;


            /// Doc for x.
            callback x,y : a|b sleepable ;
            set s : struct_ops,syscall;
            kfunc k { in s; flags KF_RCU|KF_ACQUIRE;
              // inside
              allow a&~b; /* block */
            // before close
            }
            // trailing comment
            """
        let (tree, bag) = Parser.parse(SourceFile(path: "t", text: src), file: 0)
        XCTAssertFalse(bag.hasErrors)
        let out = Formatter.format(tree)
        XCTAssertEqual(out, """
            // header comment

            policy p for struct s_ops;
            context a; // why a
            context b;

            /// Doc for x.
            callback x, y: a | b sleepable;
            set s: struct_ops, syscall;
            kfunc k {
                in s;
                flags KF_RCU | KF_ACQUIRE;
                // inside
                allow a & ~b; /* block */
                // before close
            }
            // trailing comment

            """)
    }

    func testFormatterIsIdempotentOnEveryShippedPolicy() throws {
        var files = shippedPolicies()
        files.append("Policies/examples/common/shared.policy")
        for rel in files {
            let text = try String(contentsOfFile: packageRoot + "/" + rel, encoding: .utf8)
            let (t1, b1) = Parser.parse(SourceFile(path: rel, text: text), file: 0)
            XCTAssertFalse(b1.hasErrors, rel)
            let once = Formatter.format(t1)
            XCTAssertEqual(once, text, "\(rel) is not in canonical layout")
            let (t2, _) = Parser.parse(SourceFile(path: rel, text: once), file: 0)
            XCTAssertEqual(Formatter.format(t2), once, "formatting \(rel) twice changes it")
            // Formatting never changes meaning.
            let a = compileText(text, path: packageRoot + "/" + rel), b = compileText(once, path: packageRoot + "/" + rel)
            XCTAssertEqual(a.policy.kfuncs.map(\.mask), b.policy.kfuncs.map(\.mask))
        }
    }

    func testFormatterIsIdempotentOnMessyInput() {
        let messy = "policy   p for struct s;/* a */context a;context b; // x\n\n\n\n// y\ncallback q:a|(b)  ;  // z\n"
        let (t1, b1) = Parser.parse(SourceFile(path: "t", text: messy), file: 0)
        XCTAssertFalse(b1.hasErrors)
        let once = Formatter.format(t1)
        let (t2, _) = Parser.parse(SourceFile(path: "t", text: once), file: 0)
        XCTAssertEqual(Formatter.format(t2), once)
        XCTAssertTrue(once.contains("/* a */"))
        XCTAssertTrue(once.contains("callback q: a | (b); // z"))
    }
}

/// The statements for real kernels: each parses, checks into the model and formats back to itself.
final class KernelStatementTests: XCTestCase {
    let source = """
        /// A module's interface.
        policy p for vmlinux struct tcp_congestion_ops;
        prefix pp;
        kernel 6.12;
        module kfp_mod;
        nesting per_instance;
        runtime_guards;
        deny set gone;
        context a;
        context b;
        callback ssthresh: a;
        if CONFIG_FOO {
            callback cong_avoid: b sleepable;
            kfunc k_foo {
                in s;
                allow b;
            }
        }
        set s: struct_ops;
        set gone: none;
        external set common: struct_ops, tracing;
        kfunc k_new {
            in s, gone;
            allow a;
            invokes child ssthresh, cong_avoid;
            was k_old;
        }
        kfunc bpf_generic {
            in common;
            allow any;
        }

        """

    func testEveryStatementParsesChecksAndFormatsBack() throws {
        let c = Compilation.compile(path: "p.policy", bytes: Array(source.utf8))
        XCTAssertEqual(c.diagnostics.items.map(\.message), [])
        let p = c.policy
        XCTAssertEqual(p.kernel, .release(major: 6, minor: 12))
        XCTAssertFalse(p.kernel.hasMemberOffset)
        XCTAssertEqual(p.module, "kfp_mod")
        XCTAssertTrue(p.structInVmlinux)
        XCTAssertEqual(p.nesting, .per_instance)
        XCTAssertTrue(p.runtimeGuards)
        XCTAssertEqual(p.deniedSets.map { p.sets[$0.set].name }, ["gone"])
        XCTAssertEqual(p.callbacks.map(\.config), [[], ["CONFIG_FOO"]])
        let k = p.kfuncs[p.kfunc(named: "k_new")!]
        XCTAssertEqual(k.was, ["k_old"])
        XCTAssertEqual(k.invokes, [p.callback(named: "cong_avoid")!])
        XCTAssertEqual(k.invokesChild, [p.callback(named: "ssthresh")!])
        XCTAssertEqual(p.kfuncs[p.kfunc(named: "k_foo")!].config, ["CONFIG_FOO"])
        XCTAssertEqual(p.sets.map(\.external), [false, false, true])
        XCTAssertEqual(p.sets[1].progTypes, [])
        XCTAssertEqual(Formatter.format(c.rootSyntax!), source, "formatting changes nothing")
        // deny set: no callback may call k_new; an external set reaches other interfaces.
        XCTAssertFalse(p.isAllowed(p.kfunc(named: "k_new")!, .callback(0)))
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "bpf_generic")!, .progType(.struct_ops)))
        XCTAssertTrue(p.isAllowed(p.kfunc(named: "bpf_generic")!, .progType(.lsm)), "lsm shares tracing's kfunc hook")
        XCTAssertFalse(p.isAllowed(p.kfunc(named: "k_foo")!, .progType(.struct_ops)))
    }

    func diagnostics(_ text: String) -> [String] {
        Compilation.compile(path: "p.policy", bytes: Array(text.utf8)).diagnostics.sorted.map { "\($0.id.rawValue) \($0.message)" }
    }

    func testBadValuesAndMisplacedStatements() {
        XCTAssertEqual(diagnostics("policy p for struct s;\nkernel 5.15;\n"), ["KFP108 unsupported kernel '5.15'"])
        XCTAssertEqual(diagnostics("policy p for struct s;\nnesting sometimes;\n"), ["KFP108 unknown nesting mode 'sometimes'"])
        XCTAssertEqual(diagnostics("policy p for struct s;\nif CONFIG_X {\n    context a;\n}\n"),
                       ["KFP107 'context' inside an 'if' block"])
        XCTAssertEqual(diagnostics("policy p for struct s;\nmodule m;\ncontext a;\ncallback c: a;\nset x: struct_ops;\nset y: struct_ops;\n"
                                    + "kfunc k { in x, y; allow a; }\n"),
                       ["KFP410 module m registers a second kfunc set for the STRUCT_OPS hook"])
    }

    func testABrokenDeclarationCausesNoCascade() {
        // The policy line lacks 'struct': one error, not also "file declares no policy".
        XCTAssertEqual(diagnostics("policy p for s_ops;\ncontext a;\ncallback c: a;\n"),
                       ["KFP004 expected 'struct', found 's_ops'"])
        // A set whose declaration is broken is not reported unknown where a kfunc names it.
        XCTAssertEqual(diagnostics("policy p for struct s;\ncontext a;\ncallback c: a;\nset x struct_ops;\nkfunc k { in x; allow a; }\n"),
                       ["KFP004 expected ':', found 'struct_ops'"])
    }
}
