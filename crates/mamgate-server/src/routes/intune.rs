use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::auth::login_headers;
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::intune_login;
use crate::state::AppState;

pub async fn login_by_intune(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    body: Bytes,
) -> Result<Response, AppError> {
    let done = intune_login::login(&state, &body, &ctx).await?;
    let mut resp = Json(done.user.sanitized()).into_response();
    for (k, v) in login_headers(&state, &done.issued, ctx.secure) {
        resp.headers_mut().append(k, v);
    }
    Ok(resp)
}
