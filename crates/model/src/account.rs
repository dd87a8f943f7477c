//! Account-name normalisation.

/// Normalises an account name to breachscope's canonical form: lower-case, `domain\user` when a
/// domain is known, else `user`.
///
/// `user` may itself carry the domain (`CORP\K.Tanaka`); an explicit `domain` takes precedence
/// over none but not over one embedded in `user`. Empty and `-` domains count as absent.
/// Surrounding white space is removed.
///
/// ```
/// use breachscope_model::normalize_account;
/// assert_eq!(normalize_account(None, "CORP\\K.Tanaka"), "corp\\k.tanaka");
/// assert_eq!(normalize_account(Some("CORP"), "K.Tanaka"), "corp\\k.tanaka");
/// assert_eq!(normalize_account(None, "k.tanaka"), "k.tanaka");
/// assert_eq!(normalize_account(Some("-"), "alice"), "alice");
/// ```
pub fn normalize_account(domain: Option<&str>, user: &str) -> String {
    let user = user.trim();
    let (embedded_domain, name) = match user.rsplit_once('\\') {
        Some((d, n)) => (Some(d), n),
        None => (None, user),
    };
    let domain = embedded_domain
        .or(domain)
        .map(str::trim)
        .filter(|d| !d.is_empty() && *d != "-");
    match domain {
        Some(d) => format!("{}\\{}", d.to_lowercase(), name.to_lowercase()),
        None => name.to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_account;

    #[test]
    fn normalises() {
        assert_eq!(normalize_account(None, " Alice "), "alice");
        assert_eq!(
            normalize_account(Some("WORKGROUP"), "alice"),
            "workgroup\\alice"
        );
        assert_eq!(normalize_account(Some("OTHER"), "CORP\\Bob"), "corp\\bob");
        assert_eq!(normalize_account(Some(""), "Bob"), "bob");
        assert_eq!(normalize_account(None, "営業\\田中"), "営業\\田中");
    }
}
