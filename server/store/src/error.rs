//! The service layer's error. Its `Display` is what a user may see: infrastructure
//! failures are logged where they happen and shown only as a generic message.

#[derive(Debug)]
pub enum AppError {
    /// Input that is well-formed but not acceptable (422).
    BadRequest(String),
    /// Input that could not even be read: malformed JSON, wrong content type (400).
    Malformed(String),
    NotFound(&'static str),
    Unauthorized,
    Forbidden(String),
    Conflict(String),
    RateLimited(u64),
    Internal,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::BadRequest(m) | AppError::Malformed(m) | AppError::Forbidden(m) | AppError::Conflict(m) => f.write_str(m),
            AppError::NotFound(what) => write!(f, "{what} not found"),
            AppError::Unauthorized => f.write_str("please sign in"),
            AppError::RateLimited(s) => write!(f, "too many attempts; try again in {s} seconds"),
            AppError::Internal => f.write_str("something went wrong on the server; the error was logged"),
        }
    }
}

impl AppError {
    pub fn bad(msg: impl Into<String>) -> Self {
        AppError::BadRequest(msg.into())
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::BadRequest(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Malformed(_) => S::BAD_REQUEST,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Unauthorized => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::RateLimited(_) => S::TOO_MANY_REQUESTS,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return AppError::NotFound("record");
        }
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}

pub type AppResult<T> = Result<T, AppError>;
