import Testing
@testable import RunStatusModel

/// 2026-01-15T10:00:00Z: "now" for every test, so hints measured from it are exact.
let testNow: Double = 1_768_471_200
let utc = DecodeContext(now: testNow)

func answer(_ status: Int, _ text: String, headers: [String: String] = [:]) -> VendorResponse {
    VendorResponse(status: status, headers: headers, text: text)
}

/// The observation of a successful decode; records an issue naming the error otherwise.
func observed(_ result: Result<RunObservation, PollError>, sourceLocation: SourceLocation = #_sourceLocation) throws -> RunObservation {
    switch result {
    case .success(let o): return o
    case .failure(let e):
        Issue.record("expected an observation, got \(e)", sourceLocation: sourceLocation)
        throw e
    }
}

/// The error of a failed decode; records an issue naming the observation otherwise.
func failed(_ result: Result<RunObservation, PollError>, sourceLocation: SourceLocation = #_sourceLocation) throws -> PollError {
    switch result {
    case .failure(let e): return e
    case .success(let o):
        Issue.record("expected an error, got \(o)", sourceLocation: sourceLocation)
        throw PollError(.decode, "unexpected success")
    }
}

/// Approximate equality for seconds computed through Double fractions.
func close(_ a: Double?, _ b: Double, within tolerance: Double = 1e-6) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= tolerance
}
