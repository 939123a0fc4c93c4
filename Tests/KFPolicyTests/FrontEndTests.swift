import Foundation
import KFPolicy
import XCTest

/// Lexer, parser and formatter.
final class FrontEndTests: XCTestCase {
    func tokens(_ s: String) -> TokenList {
        var l = Lexer(SourceFile(path: "t", text: s), file: 0)
        return l.tokenize()
    }

    func testLexerTokensCommentsAndPositions() {
        let list = tokens("/// doc\ncontext a; // trailing\n\ngroup g = a | b - c & ~d;\nnest x -> y; include \"a\\\"b\"")
        let t = list.tokens
        XCTAssertEqual(t.map(list.text).joined(separator: " "), "context a ; group g = a | b - c & ~ d ; nest x -> y ; include a\"b ")
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
        var l = Lexer(SourceFile(path: "t", text: "context é a;"), file: 0)
        let t = l.tokenize()
        XCTAssertEqual(l.diagnostics.items.map(\.id), [.invalidCharacter])
        XCTAssertEqual(t.tokens.map(t.text), ["context", "a", ";", ""])
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
        // The declarations around the errors survive.
        XCTAssertEqual(tree.items.map(\.keyword.text), ["policy", "context", "context", "kfunc", "callback"])
        XCTAssertTrue(tree.items[3].damaged)
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

/// Large files are parsed in two halves on two threads; the tree must be the one a single
/// parser builds, and a file with an error must get the single parser's diagnostics.
final class ParallelParseTests: XCTestCase {
    /// A policy of about 1.5 MB: kfunc blocks with doc comments, blank lines, trailing
    /// comments; with a missing ';' after the kfunc numbered `errorAfter`.
    func largePolicy(errorAfter: Int? = nil) -> String {
        var s = "policy big for struct big_ops;\ncontext a;\ncontext b;\ncallback run: a | b;\nset s: struct_ops;\n"
        for i in 0..<20_000 {
            s += i % 3 == 0 ? "\n/// Kfunc \(i).\n" : "// plain \(i)\n"
            s += "kfunc k\(i) { // trailing \(i)\n    in s;\n    allow \(i % 2 == 0 ? "a" : "a | b");\n}\n"
            if i == errorAfter { s += "kfunc broken {\n    allow a\n}\n" }
        }
        return s + "// the end\n"
    }

    func testHalvesGiveTheSameTreeAsOneParser() {
        let src = SourceFile(path: "big.policy", text: largePolicy())
        XCTAssertGreaterThan(src.text.count, 1 << 20, "the file must be large enough to be split")
        XCTAssertNotNil(Parser.parseInHalvesForTests(src), "a clean large file is parsed in halves")
        let (halves, bagH) = Parser.parse(src, file: 0)
        let (whole, bagW) = Parser.parseWhole(src, file: 0)
        XCTAssertTrue(bagH.items.isEmpty)
        XCTAssertTrue(bagW.items.isEmpty)
        XCTAssertEqual(halves.items.count, whole.items.count)
        XCTAssertEqual(halves.items.map(\.range), whole.items.map(\.range))
        XCTAssertEqual(halves.items.map(\.trivia), whole.items.map(\.trivia))
        XCTAssertEqual(halves.trailingComments, whole.trailingComments)
        XCTAssertEqual(Formatter.format(halves), Formatter.format(whole))
    }

    func testItemListReadsEveryRunInOrder() {
        let (t, _) = Parser.parse(SourceFile(path: "t", text: "context a;\ncontext b;\ncontext c;\ncontext d;\ncontext e;\ncontext f;\n"), file: 0)
        let all = t.items
        var list = ItemList()
        list.append(run: Array(all[0..<1]))
        list.append(run: [])
        list.append(run: Array(all[1..<4]))
        list.append(all[4]) // onto the last run, which it shares with `all` until then
        list.append(run: Array(all[5...]))
        XCTAssertEqual(list.count, 6)
        XCTAssertEqual(list.runs.count, 3)
        XCTAssertEqual(list.map(\.range), all.map(\.range))
        XCTAssertEqual(list.indices.map { list[$0].range }, all.map(\.range))
        XCTAssertEqual(list.array.map(\.range), all.map(\.range))
        XCTAssertEqual(all.count, 6, "appending to the list left the parsed items alone")
    }

    func testAnErrorInEitherHalfFallsBackToOneParser() {
        for errorAfter in [1_000, 19_000] {
            let src = SourceFile(path: "big.policy", text: largePolicy(errorAfter: errorAfter))
            XCTAssertGreaterThan(src.text.count, 1 << 20)
            XCTAssertNil(Parser.parseInHalvesForTests(src), "an error in a half means one parser reads the file")
            let (tree, bag) = Parser.parse(src, file: 0)
            let (whole, bagW) = Parser.parseWhole(src, file: 0)
            XCTAssertEqual(bag.items.map(\.message), bagW.items.map(\.message))
            XCTAssertEqual(bag.items.map(\.id), [.expectedToken])
            XCTAssertEqual(tree.items.count, whole.items.count)
        }
    }
}

/// Large policies have their name checks run beside the semantic and nesting checks; the
/// diagnostics must be those, in the order, that one thread reports.
final class ParallelCheckTests: XCTestCase {
    func policy(fillers: Int) -> String {
        var s = """
            policy p for struct p_ops;
            context a;
            context b;
            callback run: a;
            callback sleepy: b sleepable;
            set s: struct_ops;
            kfunc Foo { in s; allow a; }
            kfunc foo { in s; allow a; }
            kfunc sl { in s; flags KF_SLEEPABLE; allow a; }
            kfunc kick { in s; allow a; invokes run; }

            """
        for i in 0..<fillers { s += "kfunc f\(i) { in s; allow b; }\n" }
        return s
    }

    func diagnostics(fillers: Int) -> [String] {
        let c = Compilation.compile(path: "p.policy", bytes: Array(policy(fillers: fillers).utf8))
        return c.diagnostics.items.filter { $0.id != .kernelLimit }.map { "\($0.id.rawValue) \($0.message)" }
    }

    func testLargePolicyReportsWhatOneThreadReports() {
        let small = diagnostics(fillers: 10), large = diagnostics(fillers: 2_500)
        XCTAssertEqual(large, small)
        XCTAssertEqual(small.count, 3, "\(small)") // a case collision, a sleepable kfunc, a cycle
        XCTAssertTrue(small[0].contains("differ only in case"), small[0])
        XCTAssertTrue(small[1].contains("KF_SLEEPABLE"), small[1])
        XCTAssertTrue(small[2].contains("not a DAG"), small[2])
    }
}
