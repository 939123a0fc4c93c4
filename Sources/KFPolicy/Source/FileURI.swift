// Paths as URI references, for the formats that name files by URI (SARIF, the Language Server
// Protocol).

/// A path as a URI reference: an absolute path as a `file://` URI, a relative one as a relative
/// reference; every byte but unreserved characters and `/` percent-encoded (`:` too, so that
/// `HEAD~1:Policies/x.policy` cannot read as a scheme).
public func uriReference(forPath path: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var out = path.hasPrefix("/") ? "file://" : ""
    for b in path.utf8 {
        let unreserved = (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) || "-._~/".utf8.contains(b)
        if unreserved {
            out.unicodeScalars.append(Unicode.Scalar(b))
        } else {
            out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
        }
    }
    return out
}
