//! IP addresses, CIDR blocks and the set of internal networks.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Returns the canonical form of an address: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`)
/// becomes the IPv4 address it carries; every other address is returned unchanged.
pub fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Parses an address in any textual form std accepts and returns it in canonical form
/// (see [`canonical_ip`]). Zone suffixes (`fe80::1%eth0`) are dropped.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let text = text.split('%').next().unwrap_or(text);
    IpAddr::from_str(text).ok().map(canonical_ip)
}

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `fc00::/7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix_len: u8,
}

/// Why a CIDR block could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// The address part is not an IP address.
    #[error("'{0}' is not an IP address")]
    BadAddress(String),
    /// The prefix length is not a number or is larger than the address allows.
    #[error("'{0}' is not a valid prefix length for this address family")]
    BadPrefix(String),
}

impl Cidr {
    /// Builds a block from an address and a prefix length; host bits are cleared.
    pub fn new(addr: IpAddr, prefix_len: u8) -> Result<Self, CidrError> {
        let addr = canonical_ip(addr);
        let max = match addr {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix_len > max {
            return Err(CidrError::BadPrefix(prefix_len.to_string()));
        }
        let network = match addr {
            IpAddr::V4(v4) => IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask_v4(prefix_len))),
            IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask_v6(prefix_len))),
        };
        Ok(Cidr {
            network,
            prefix_len,
        })
    }

    /// The network address (host bits cleared).
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length in bits.
    pub fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    /// Whether `ip` (in canonical form) lies inside this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, canonical_ip(ip)) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                u32::from(ip) & mask_v4(self.prefix_len) == u32::from(net)
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                u128::from(ip) & mask_v6(self.prefix_len) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask_v4(prefix_len: u8) -> u32 {
    if prefix_len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix_len))
    }
}

fn mask_v6(prefix_len: u8) -> u128 {
    if prefix_len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix_len))
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    /// Parses `ADDR/LEN`, or a bare address as a single-host block.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, len) = match s.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (s, None),
        };
        let ip = IpAddr::from_str(addr).map_err(|_| CidrError::BadAddress(addr.to_string()))?;
        let mapped_v4 = matches!(ip, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
        let ip_canonical = canonical_ip(ip);
        let max = if ip_canonical.is_ipv4() { 32 } else { 128 };
        let prefix_len = match len {
            None => max,
            Some(len) => {
                let mut n: u8 = len
                    .parse()
                    .map_err(|_| CidrError::BadPrefix(len.to_string()))?;
                // `::ffff:10.0.0.0/104` means `10.0.0.0/8`.
                if mapped_v4 {
                    n = n
                        .checked_sub(96)
                        .ok_or_else(|| CidrError::BadPrefix(len.to_string()))?;
                }
                n
            }
        };
        Cidr::new(ip_canonical, prefix_len).map_err(|_| CidrError::BadPrefix(s.to_string()))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

/// The set of networks considered internal to the organisation.
///
/// The default ([`InternalNetworks::default`]) is RFC 1918 private IPv4 space, IPv6 unique local
/// addresses (`fc00::/7`), loopback and link-local addresses of both families.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalNetworks {
    blocks: Vec<Cidr>,
}

/// The networks [`InternalNetworks::default`] contains, as text.
pub const DEFAULT_INTERNAL_NETWORKS: &[&str] = &[
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "fc00::/7",
    "::1/128",
    "fe80::/10",
];

impl Default for InternalNetworks {
    fn default() -> Self {
        let blocks = DEFAULT_INTERNAL_NETWORKS
            .iter()
            .filter_map(|s| Cidr::from_str(s).ok())
            .collect();
        InternalNetworks { blocks }
    }
}

impl InternalNetworks {
    /// A set made of exactly these blocks.
    pub fn from_blocks(blocks: Vec<Cidr>) -> Self {
        InternalNetworks { blocks }
    }

    /// Parses the given CIDR texts; an empty list gives the default set.
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Self, CidrError> {
        if texts.is_empty() {
            return Ok(Self::default());
        }
        let blocks = texts
            .iter()
            .map(|t| Cidr::from_str(t.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InternalNetworks { blocks })
    }

    /// The blocks in this set.
    pub fn blocks(&self) -> &[Cidr] {
        &self.blocks
    }

    /// Whether `ip` is internal.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical_ip(ip);
        self.blocks.iter().any(|b| b.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        IpAddr::from_str(s).unwrap()
    }

    #[test]
    fn mapped_v6_becomes_v4() {
        assert_eq!(canonical_ip(ip("::ffff:10.1.3.34")), ip("10.1.3.34"));
        assert_eq!(canonical_ip(ip("2001:db8::1")), ip("2001:db8::1"));
        assert_eq!(
            parse_ip("::ffff:192.0.2.1").map(|i| i.to_string()),
            Some("192.0.2.1".into())
        );
        assert_eq!(parse_ip("fe80::1%eth0"), Some(ip("fe80::1")));
        assert_eq!(parse_ip("-"), None);
    }

    #[test]
    fn default_internal_set() {
        let nets = InternalNetworks::default();
        for inside in [
            "10.1.2.3",
            "172.31.255.255",
            "192.168.0.1",
            "127.0.0.1",
            "169.254.1.1",
            "fd00::5",
            "::1",
            "fe80::217:f2ff:fed7:cf65",
            "::ffff:10.0.0.1",
        ] {
            assert!(nets.contains(ip(inside)), "{inside} should be internal");
        }
        for outside in [
            "172.32.0.1",
            "8.8.8.8",
            "198.51.100.23",
            "2001:db8::1",
            "224.0.0.251",
        ] {
            assert!(!nets.contains(ip(outside)), "{outside} should be external");
        }
    }

    #[test]
    fn parses_cidrs() {
        let c: Cidr = "10.1.2.3/16".parse().unwrap();
        assert_eq!(c.to_string(), "10.1.0.0/16");
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense/8".parse::<Cidr>().is_err());
        assert!(
            "::/0"
                .parse::<Cidr>()
                .is_ok_and(|c| c.contains(ip("2001:db8::1")))
        );
        assert!(
            "::ffff:10.0.0.0/104"
                .parse::<Cidr>()
                .is_ok_and(|c| c.contains(ip("10.9.9.9")))
        );
        assert_eq!("192.0.2.7".parse::<Cidr>().map(|c| c.prefix_len()), Ok(32));
        let custom = InternalNetworks::parse(&["198.51.100.0/24"]);
        assert!(
            custom
                .as_ref()
                .is_ok_and(|n| n.contains(ip("198.51.100.23")))
        );
        assert!(custom.is_ok_and(|n| !n.contains(ip("10.0.0.1"))));
    }
}
