//! Typed values of the current contract's list filters: the lifetime ranges
//! (`ltv_gte=100`…) and the acquisition sources of `source[]`.

use std::fmt;

/// A lifetime number the list can be ranged on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Lifetime value in US dollars.
    Ltv,
    /// Average order value in US dollars.
    Aov,
    /// Completed payments.
    PurchaseCount,
    /// Events of any kind.
    EventCount,
}

/// How a [`Range`] compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `_gt`: greater than.
    Gt,
    /// `_gte`: at least.
    Gte,
    /// `_lt`: less than.
    Lt,
    /// `_lte`: at most.
    Lte,
}

/// One range condition, e.g. `Metric::Ltv.gte(100.0)` for `ltv_gte=100`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// What is compared.
    pub metric: Metric,
    /// How.
    pub comparison: Comparison,
    /// With what (dollars for money, a count otherwise).
    pub value: f64,
}

impl Metric {
    fn range(self, comparison: Comparison, value: f64) -> Range {
        Range {
            metric: self,
            comparison,
            value,
        }
    }

    /// More than `value`.
    pub fn gt(self, value: f64) -> Range {
        self.range(Comparison::Gt, value)
    }

    /// At least `value`.
    pub fn gte(self, value: f64) -> Range {
        self.range(Comparison::Gte, value)
    }

    /// Less than `value`.
    pub fn lt(self, value: f64) -> Range {
        self.range(Comparison::Lt, value)
    }

    /// At most `value`.
    pub fn lte(self, value: f64) -> Range {
        self.range(Comparison::Lte, value)
    }
}

/// An acquisition source as `source[]` names it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Source {
    /// A Whop ad: campaign, then optionally ad group and ad (`whop:<c>:<g>:<a>`, or a prefix
    /// `whop:<c>:*` when the lower levels are left out).
    WhopAd {
        /// Campaign id (`adcamp_…`).
        campaign: String,
        /// Ad group id (`adgrp_…`).
        ad_group: Option<String>,
        /// Ad id (`ad_…`).
        ad: Option<String>,
    },
    /// An ad click on another platform (`ext:<platform>`: `facebook`, `google`, `tiktok`).
    External(String),
    /// A UTM-tagged link (`utm:<source>`).
    Utm(String),
    /// A link on another site (`referrer:<domain>`).
    Referrer(String),
    /// No touch at all (`direct`).
    Direct,
    /// A touch of no other kind (`other`).
    Other,
}

impl fmt::Display for Source {
    /// The `source[]` token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::WhopAd {
                campaign,
                ad_group,
                ad,
            } => match (ad_group, ad) {
                (Some(group), Some(ad)) => write!(f, "whop:{campaign}:{group}:{ad}"),
                (Some(group), None) => write!(f, "whop:{campaign}:{group}:*"),
                (None, _) => write!(f, "whop:{campaign}:*"),
            },
            Source::External(platform) => write!(f, "ext:{platform}"),
            Source::Utm(source) => write!(f, "utm:{source}"),
            Source::Referrer(domain) => write!(f, "referrer:{domain}"),
            Source::Direct => f.write_str("direct"),
            Source::Other => f.write_str("other"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_write_whops_tokens() {
        let ad = |group: Option<&str>, ad: Option<&str>| Source::WhopAd {
            campaign: "adcamp_1".into(),
            ad_group: group.map(str::to_owned),
            ad: ad.map(str::to_owned),
        };
        assert_eq!(ad(None, None).to_string(), "whop:adcamp_1:*");
        assert_eq!(
            ad(Some("adgrp_1"), None).to_string(),
            "whop:adcamp_1:adgrp_1:*"
        );
        assert_eq!(
            ad(Some("adgrp_1"), Some("ad_1")).to_string(),
            "whop:adcamp_1:adgrp_1:ad_1"
        );
        assert_eq!(Source::External("google".into()).to_string(), "ext:google");
        assert_eq!(Source::Direct.to_string(), "direct");
        assert_eq!(Metric::Ltv.gte(5.0).comparison, Comparison::Gte);
    }
}
