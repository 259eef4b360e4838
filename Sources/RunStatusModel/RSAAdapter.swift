/// Placeholder: replaced by the real adapter.
public struct RSAAdapter: VendorAdapter {
    public init() {}
    public var vendor: Vendor { .rsa }
    public func validate(runID: String) -> String? { nil }
    public func statusRequest(runID: String) -> VendorRequest { VendorRequest(pathAndQuery: "/") }
    public func decodeStatus(_ response: VendorResponse, runID: String, context: DecodeContext) -> Result<RunObservation, PollError> {
        .failure(PollError(.decode, "not implemented"))
    }
}
