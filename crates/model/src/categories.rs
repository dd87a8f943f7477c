//! The data categories of report-v1 ("Categories").

/// Categories that are personal data.
pub const PERSONAL: &[&str] = &[
    "person_name",
    "email",
    "phone",
    "postal_address",
    "postal_code",
    "date_of_birth",
    "credit_card",
    "bank_account",
    "iban",
    "my_number",
    "drivers_license",
    "passport",
];

/// Business identifiers and secrets.
pub const BUSINESS_AND_SECRETS: &[&str] = &[
    "corporate_number",
    "private_key",
    "cloud_access_key",
    "api_token",
    "password",
];

/// Whether `category` is personal data.
pub fn is_personal(category: &str) -> bool {
    PERSONAL.contains(&category)
}
