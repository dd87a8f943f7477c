//! unusual_share: an account with history reads a share it never used before, which few active
//! accounts use. The score grows with the share's rarity among accounts.

use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashSet;

use breachscope_model::Micros;

use crate::config::UnusualShare;

/// A first read of a rarely used share.
#[derive(Debug, Clone, PartialEq)]
pub struct UnusualShareFinding {
    /// Accounts that used the share before.
    pub share_accounts: usize,
    /// Active accounts.
    pub active_accounts: usize,
    /// Shares the account used before.
    pub usual_shares: Vec<String>,
    /// Other accounts with the same usual shares that first read this share within the last
    /// week: a group starting together (a reorganisation), not one account's curiosity.
    pub peers_joining: usize,
}

#[derive(Debug, Default)]
struct AccountShares {
    first_seen: Micros,
    shares: FxHashSet<String>,
}

/// Which accounts use which shares.
#[derive(Debug, Default)]
pub struct UnusualShareDetector {
    accounts: FxHashMap<String, AccountShares>,
    share_accounts: FxHashMap<String, FxHashSet<String>>,
    /// Per share: recent first reads (time, the reader's usual shares before it).
    recent: FxHashMap<String, std::collections::VecDeque<(Micros, Vec<String>)>>,
}

/// How far back first reads by peers count as the same group change.
const GROUP_WINDOW: Micros = 7 * 86_400_000_000;

impl UnusualShareDetector {
    /// Records a read; returns a finding when it is the account's first read of a rare share
    /// and the account has at least `history` of activity. `judge` is false during the learning
    /// period (the read is only recorded).
    pub fn observe(
        &mut self,
        config: &UnusualShare,
        account: &str,
        share: &str,
        now: Micros,
        history: Micros,
        judge: bool,
    ) -> Option<UnusualShareFinding> {
        let active = self.accounts.len();
        let users = self.share_accounts.get(share).map_or(0, HashSet::len);
        let a = self
            .accounts
            .entry(account.to_owned())
            .or_insert_with(|| AccountShares {
                first_seen: now,
                shares: FxHashSet::default(),
            });
        if a.shares.contains(share) {
            return None;
        }
        let established = now - a.first_seen >= history;
        let mut usual: Vec<String> = a.shares.iter().cloned().collect();
        usual.sort();
        a.shares.insert(share.to_owned());
        self.share_accounts
            .entry(share.to_owned())
            .or_default()
            .insert(account.to_owned());
        let recent = self.recent.entry(share.to_owned()).or_default();
        while recent.front().is_some_and(|(t, _)| *t < now - GROUP_WINDOW) {
            recent.pop_front();
        }
        let peers_joining = recent.iter().filter(|(_, u)| *u == usual).count();
        recent.push_back((now, usual.clone()));
        let common = users as f64 >= config.common_share_prevalence * active.max(1) as f64;
        (judge && established && !common && !usual.is_empty()).then_some(UnusualShareFinding {
            share_accounts: users,
            active_accounts: active,
            usual_shares: usual,
            peers_joining,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_read_of_a_rare_share_by_an_established_account() {
        let cfg = UnusualShare::default();
        let mut d = UnusualShareDetector::default();
        let day = 86_400_000_000;
        for i in 0..20 {
            let share = if i < 3 {
                "hr"
            } else if i < 12 {
                "engineering"
            } else {
                "sales"
            };
            assert!(
                d.observe(&cfg, &format!("u{i}"), share, 0, 7 * day, true)
                    .is_none()
            );
        }
        // Established sales account reading hr (3 of 20 accounts): unusual.
        let f = d
            .observe(&cfg, "u15", "hr", 10 * day, 7 * day, true)
            .expect("found");
        assert_eq!(
            (f.share_accounts, f.usual_shares.clone()),
            (3, vec!["sales".to_string()])
        );
        // Only once.
        assert!(
            d.observe(&cfg, "u15", "hr", 10 * day, 7 * day, true)
                .is_none()
        );
        // engineering is common (9 of 20): not unusual.
        assert!(
            d.observe(&cfg, "u16", "engineering", 10 * day, 7 * day, true)
                .is_none()
        );
        // A new account: no history to judge by.
        assert!(
            d.observe(&cfg, "new", "sales", 10 * day, 7 * day, true)
                .is_none()
        );
        assert!(
            d.observe(&cfg, "new", "hr", 10 * day + 1, 7 * day, true)
                .is_none()
        );
    }
}
