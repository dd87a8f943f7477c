//! Robust statistics on small samples.

/// The median of a sorted slice (0 for an empty one).
pub fn median_sorted(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    match n {
        0 => 0.0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// Sorts a copy and returns its median.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    median_sorted(&v)
}

/// Median absolute deviation about the median.
pub fn mad(values: &[f64]) -> f64 {
    let m = median(values);
    let deviations: Vec<f64> = values.iter().map(|x| (x - m).abs()).collect();
    median(&deviations)
}

/// The quartile at `q` (0.25, 0.5, 0.75) of a sorted slice, by linear interpolation.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// Bowley (quartile) skewness `(Q1 + Q3 − 2·Q2) / (Q3 − Q1)`; 0 when the spread is zero or the
/// median sits on a quartile, as RITA does.
pub fn bowley_skew(sorted: &[f64]) -> f64 {
    let q1 = quantile_sorted(sorted, 0.25);
    let q2 = quantile_sorted(sorted, 0.5);
    let q3 = quantile_sorted(sorted, 0.75);
    let spread = q3 - q1;
    if spread <= f64::EPSILON || q2 == q1 || q2 == q3 {
        0.0
    } else {
        (q1 + q3 - 2.0 * q2) / spread
    }
}

/// A robust baseline of a series: median and MAD (scaled by 1.4826 to estimate σ).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    /// Median.
    pub median: f64,
    /// 1.4826 × MAD, floored at `min_sigma`.
    pub sigma: f64,
    /// Number of values.
    pub n: usize,
}

impl Baseline {
    /// The baseline of `values` with σ at least `min_sigma`.
    pub fn of(values: &[f64], min_sigma: f64) -> Baseline {
        Baseline {
            median: median(values),
            sigma: (1.4826 * mad(values)).max(min_sigma),
            n: values.len(),
        }
    }

    /// Robust z-score of `x`.
    pub fn z(&self, x: f64) -> f64 {
        (x - self.median) / self.sigma
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basics() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(mad(&[1.0, 1.0, 2.0, 2.0, 4.0, 6.0, 9.0]), 1.0);
        let sorted = [1.0, 2.0, 3.0, 4.0, 100.0];
        assert!(bowley_skew(&sorted) == 0.0);
        let right = [1.0, 2.0, 2.5, 3.0, 9.0, 12.0];
        assert!(bowley_skew(&right) > 0.0);
        let b = Baseline::of(&[10.0, 11.0, 9.0, 10.0, 10.5], 0.1);
        assert!(b.z(20.0) > 10.0);
    }
}
