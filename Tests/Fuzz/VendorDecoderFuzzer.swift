// libFuzzer entry for the vendor decoders, compiled by .ci/fuzz together with Sources/RunStatusModel (one module,
// so no import). FUZZ_VENDOR (rsa, sequentum, instabase, wes, nexio) picks the adapter; the input's first two
// bytes pick the HTTP status and a header case, the rest is the body.
//
// Properties checked, besides "never traps": times and numbers in an observation are finite; an error carries
// a reason and a message without raw control bytes.
import Foundation

private let adapter: any VendorAdapter = {
    switch ProcessInfo.processInfo.environment["FUZZ_VENDOR"] ?? "rsa" {
    case "sequentum": SequentumAdapter()
    case "instabase": InstabaseAdapter()
    case "wes": WESAdapter()
    case "nexio": NexioAdapter()
    default: RSAAdapter()
    }
}()

private let statuses = [200, 200, 200, 200, 201, 204, 301, 400, 401, 403, 404, 409, 412, 422, 429, 500, 502, 503, 504, 0]
private let headerCases: [[String: String]] = [
    [:], ["content-type": "application/json"], ["retry-after": "30"], ["retry-after": "Thu, 15 Jan 2026 10:02:00 GMT"],
    ["x-ratelimit-reset": "1768471380"], ["retry-after": "-1", "x-ratelimit-reset": "nan"],
    ["content-type": "text/html; charset=utf-8"], ["retry-after": "99999999999999999999"],
]
private let zones = ["UTC", "Europe/Berlin", "America/New_York", "Nowhere/Special"]
private let runIDs = ["1001", "7/70", "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "40a9c1a6-9263-4982-a574-e494f7c4b621"]

private func check(_ result: Result<RunObservation, PollError>) {
    switch result {
    case .success(let observation):
        for value in [observation.startTime, observation.endTime, observation.reportedDuration, observation.reportedErrors] {
            if let value { precondition(value.isFinite, "non-finite value in \(observation)") }
        }
    case .failure(let error):
        precondition(!error.message.isEmpty)
        precondition(!error.message.unicodeScalars.contains { $0.value < 0x20 && $0 != "\t" }, "control byte in: \(error.message)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVendorDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size >= 2 else { return 0 }
    let status = statuses[Int(data[0]) % statuses.count]
    let headers = headerCases[Int(data[1]) % headerCases.count]
    let body = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))
    let context = DecodeContext(timeZoneIdentifier: zones[Int(data[1] >> 4) % zones.count], now: 1_768_471_200)
    let runID = runIDs[Int(data[0] >> 5) % runIDs.count]
    let response = VendorResponse(status: status, headers: headers, body: body)
    check(adapter.decodeStatus(response, runID: runID, context: context))
    if adapter.detailsRequest(runID: runID) != nil {
        check(adapter.decodeDetails(response, runID: runID, context: context))
    }
    _ = response.retryAfter(now: context.now)
    _ = response.rateLimitReset(now: context.now)
    return 0
}
