//! admin_share_access: a client uses a server's administrative share for the first time — a
//! drive share (`C$`) or `ADMIN$`, or the service-control pipes over `IPC$` (`svcctl`, `atsvc`:
//! how PsExec-style tools and remote scheduled tasks start code on a server). Routine
//! administration from known hosts is learned during the learning period (or allowlisted);
//! afterwards each new (client, server, share or pipe) is an alert, service control scoring
//! higher than a plain admin share.

use rustc_hash::FxHashSet;

use breachscope_model::FileAccess;

use crate::config::AdminShareAccess;

/// What the client reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminTarget {
    /// A drive share (`C$`, `D$`) or `ADMIN$`.
    AdminShare,
    /// A service-control or task-scheduler pipe over `IPC$`.
    ServiceControl,
}

/// A first use of an administrative share or pipe by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminShareFinding {
    /// What was reached.
    pub target: AdminTarget,
    /// The share (`c$`) or `ipc$\svcctl`.
    pub name: String,
    /// The server, when the record names it.
    pub server: Option<String>,
}

/// Which clients used which administrative shares.
#[derive(Debug, Default)]
pub struct AdminShareDetector {
    seen: FxHashSet<(String, String, String)>,
}

/// `c$`, `admin$`: the hidden administrative shares Windows creates itself.
fn is_admin_share(share: &str) -> bool {
    share == "admin$"
        || (share.len() == 2 && share.as_bytes()[0].is_ascii_alphabetic() && share.ends_with('$'))
}

impl AdminShareDetector {
    /// Records an access; returns a finding the first time its client reaches this server's
    /// administrative share or service pipe. `judge` is false during the learning period (the
    /// access is only recorded).
    pub fn observe(
        &mut self,
        config: &AdminShareAccess,
        a: &FileAccess,
        judge: bool,
    ) -> Option<AdminShareFinding> {
        if !config.enabled || !a.outcome.is_success() {
            return None;
        }
        let (target, name) = if is_admin_share(&a.share) {
            (AdminTarget::AdminShare, a.share.clone())
        } else if a.share == "ipc$" {
            let pipe = a.path.trim_start_matches('/').to_lowercase();
            if !config
                .service_pipes
                .iter()
                .any(|p| p.eq_ignore_ascii_case(&pipe))
            {
                return None;
            }
            (AdminTarget::ServiceControl, format!("ipc$\\{pipe}"))
        } else {
            return None;
        };
        // The server reaching itself is not lateral movement.
        let client = match a.client_ip {
            Some(ip) if ip.is_loopback() || ip.is_unspecified() => return None,
            Some(ip) => ip.to_string(),
            None => format!("account {}", a.account),
        };
        let server = a.server.clone().unwrap_or_default().to_lowercase();
        let first = self.seen.insert((client, server, name.clone()));
        (first && judge).then(|| AdminShareFinding {
            target,
            name,
            server: a.server.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use breachscope_model::{FileAction, Outcome};

    fn access(ip: &str, share: &str, path: &str) -> FileAccess {
        FileAccess {
            time: 0,
            server: Some("FS01".into()),
            account: "corp\\admin".into(),
            client_ip: ip.parse().ok(),
            client_name: None,
            session: None,
            share: share.into(),
            path: path.into(),
            path_is_relative: true,
            action: FileAction::Connect,
            operation: "5140".into(),
            log: FileAccess::WINDOWS_SECURITY,
            object_type: Some("File".into()),
            access_mask: Some(1),
            is_directory: Some(true),
            size: None,
            outcome: Outcome::Success,
        }
    }

    #[test]
    fn first_admin_share_and_service_pipe_per_client() {
        let cfg = AdminShareAccess::default();
        let mut d = AdminShareDetector::default();
        // Learned during the learning period: the admin host's routine C$ use.
        assert!(
            d.observe(&cfg, &access("10.0.0.5", "c$", ""), false)
                .is_none()
        );
        assert!(
            d.observe(&cfg, &access("10.0.0.5", "c$", ""), true)
                .is_none()
        );
        // A workstation's first C$, then its first svcctl.
        let f = d
            .observe(&cfg, &access("10.1.3.34", "c$", ""), true)
            .expect("first c$");
        assert_eq!(f.target, AdminTarget::AdminShare);
        let f = d
            .observe(&cfg, &access("10.1.3.34", "ipc$", "svcctl"), true)
            .expect("first svcctl");
        assert_eq!(
            (f.target, f.name.as_str()),
            (AdminTarget::ServiceControl, "ipc$\\svcctl")
        );
        assert!(
            d.observe(&cfg, &access("10.1.3.34", "ipc$", "svcctl"), true)
                .is_none()
        );
        // Other pipes, ordinary shares and the server itself are not findings.
        assert!(
            d.observe(&cfg, &access("10.1.3.35", "ipc$", "srvsvc"), true)
                .is_none()
        );
        assert!(
            d.observe(&cfg, &access("10.1.3.35", "hr", "a.xlsx"), true)
                .is_none()
        );
        assert!(
            d.observe(&cfg, &access("::1", "admin$", ""), true)
                .is_none()
        );
        let mut failed = access("10.1.3.36", "admin$", "");
        failed.outcome = Outcome::Failure("denied".into());
        assert!(d.observe(&cfg, &failed, true).is_none());
    }
}
