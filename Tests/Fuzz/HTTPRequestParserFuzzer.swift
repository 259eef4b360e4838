// libFuzzer entry for the request parser, compiled by .ci/fuzz together with Sources/HTTPServer (one module, so
// no import). Not part of any SwiftPM target: a fuzzer has no main and needs -sanitize=fuzzer.
//
// Properties checked on every input, besides "never traps":
// - the outcome does not depend on how the bytes were split (the first byte picks a split point);
// - every error maps to one of the statuses the server answers with;
// - every request has a token method, a non-empty target and a known version.

private let limits = HTTPRequestParser.Limits(maxRequestLineBytes: 256, maxHeadBytes: 1024, maxHeaderCount: 12,
                                              maxBodyBytes: 512)

private struct Outcome: Equatable {
    var requests: [String] = []
    var error: HTTPParseError?
}

private func parse(_ pieces: [ArraySlice<UInt8>]) -> Outcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = Outcome()
    do {
        for piece in pieces {
            parser.append(piece)
            while let request = try parser.next() {
                precondition(!request.method.isEmpty && request.method.utf8.allSatisfy(HTTPRequestParser.isTokenByte))
                precondition(!request.target.isEmpty)
                precondition(request.version == "HTTP/1.0" || request.version == "HTTP/1.1")
                precondition(request.body.count <= limits.maxBodyBytes)
                outcome.requests.append("\(request.method) \(request.target) \(request.version) \(request.headers.count) \(request.body)")
            }
        }
        try parser.finish()
    } catch {
        precondition([400, 413, 414, 431, 501, 505].contains(error.status))
        outcome.error = error
    }
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = parse([bytes[...]])
    if let first = bytes.first, bytes.count > 1 {
        let split = 1 + Int(first) % (bytes.count - 1)
        let pieces = parse([bytes[0..<split], bytes[split...]])
        precondition(pieces == whole, "outcome depends on where the input was split (at \(split))")
        // Byte by byte, the hardest split.
        if bytes.count <= 512 {
            precondition(parse(bytes.indices.map { bytes[$0...$0] }) == whole, "outcome differs byte by byte")
        }
    }
    return 0
}
