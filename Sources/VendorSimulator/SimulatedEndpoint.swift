/// How a client reaches one simulated vendor: the URL to configure, how the credential is sent, the headers the
/// vendor documents and the time zone its times are written in. Asked of the simulator, so that a client (the demo,
/// a test) never switches on the vendor itself.
public struct SimulatedEndpoint: Sendable, Equatable {
    /// The vendor's base URL under the simulator's (WES lives under `/ga4gh/wes/v1`).
    public var url: String
    /// The credential the scenario expects; nil when the vendor checks none.
    public var credential: String?
    /// The header that carries it: `Authorization`, or the vendor's own header.
    public var credentialHeader: String
    /// The scheme before it in `Authorization` (`Bearer`, `ApiKey`); nil when the header holds the bare credential.
    public var credentialScheme: String?
    /// Headers the vendor documents besides the credential, with values the simulator accepts.
    public var headers: [String: String]
    /// The time zone (an identifier) of the times the vendor writes without one.
    public var timeZone: String
}
