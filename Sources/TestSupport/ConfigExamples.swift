import Foundation

/// Configs and credentials more than one test target reads: the README's example config, a config that uses every
/// discovery-related key, and a basic-auth user for the web config.
public enum ConfigExamples {
    /// The README's example, verbatim: the user's contract.
    public static let readme = """
    {
      "poll_interval": "30s",
      "terminal_poll_interval": "10m",
      "timeout": "10s",
      "max_concurrency": 16,
      "targets": [
        { "name": "rsa-prod", "vendor": "rsa", "url": "https://instance.securid.com",
          "auth": { "type": "bearer", "credentials_file": "/run/secrets/rsa" },
          "timezone": "Europe/Berlin",
          "runs": ["1001", { "id": "1002", "labels": { "collector": "AD accounts" } }] },
        { "name": "seq", "vendor": "sequentum", "url": "https://dashboard.sequentum.com",
          "auth": { "type": "apikey", "credentials_env": "SEQUENTUM_API_KEY" }, "runs": ["7/70"] },
        { "name": "ib", "vendor": "instabase", "url": "https://aihub.instabase.com",
          "auth": { "type": "bearer", "credentials_env": "IB_TOKEN" },
          "headers": { "IB-Context": "org-acme" }, "runs": ["a1b2c3d4-e5f6-7890-abcd-ef1234567890"] },
        { "name": "cavatica", "vendor": "wes", "url": "https://cavatica-ga4gh-api.sbgenomics.com/ga4gh/wes/v1",
          "auth": { "type": "header", "header": "X-SBG-Auth-Token", "credentials_env": "SBG_TOKEN" },
          "runs": ["40a9c1a6-9263-4982-a574-e494f7c4b621"] },
        { "name": "nexio", "vendor": "nexio", "url": "https://api.usenexio.com",
          "auth": { "type": "bearer", "credentials": "nx_test_example" }, "runs": ["990d0fae-dc17-43af-aaed-ff8b580c17ab"] }
      ]
    }
    """

    public static let discovery = """
    {"max_series": 5000, "poll_interval": "30s", "targets": [
      {"name": "cav", "vendor": "wes", "url": "http://wes/ga4gh/wes/v1",
       "discover": {"max_runs": 200, "max_age": "24h", "interval": "2m", "page_size": 50}},
      {"name": "ib", "vendor": "instabase", "url": "http://ib", "runs": [],
       "discover": {"app_id": "app_1", "deployment_id": "dep_2", "status": ["RUNNING", "FAILED"]},
       "rate_limit": {"requests": 10, "per": "1s"}, "per_run_metrics": false},
      {"name": "seq", "vendor": "sequentum", "url": "http://seq", "runs": ["7/70"],
       "discover": {"agents": [7, 8], "max_records": 25}},
      {"name": "seq-free", "vendor": "sequentum", "url": "http://seq", "runs": ["7/70"], "rate_limit": null},
      {"name": "nx", "vendor": "nexio", "url": "http://nx", "runs": ["r"]}
    ]}
    """

    /// A bcrypt hash of "correct horse"; cost 4 keeps the tests fast, real configs use 10 or more.
    public static let aliceHash = "$2b$04$abcdefghijklmnopqrstuujydOTSfIH/d5oUHpsygqV5X9xJLQc6e"

    /// An `Authorization` value for basic auth.
    public static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}
