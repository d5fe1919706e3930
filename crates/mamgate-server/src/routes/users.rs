use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mamgate_core::model::User;
use mamgate_core::ErrorId;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::accounts::{build_bot, build_user, NewUser};
use crate::auth::{self, create_session, login_headers, logout_headers, Authed, NewSession};
use crate::context::RequestCtx;
use crate::error::AppError;
use crate::passwords;
use crate::routes::system::Paging;
use crate::state::{now_ms, AppState};

#[derive(Debug, Deserialize)]
pub struct LoginBody {
    #[serde(default)]
    login_id: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    device_id: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ctx: RequestCtx,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let body: LoginBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid_body("login_id", e.to_string()))?;
    let bad = |why: &str| AppError::new(ErrorId::InvalidCredentials, why.to_string());
    let user = state
        .store
        .get_user_by_login(body.login_id.trim())
        .await?
        .ok_or_else(|| bad("unknown login id"))?;
    if user.password.is_empty() || !passwords::verify(&body.password, &user.password) {
        return Err(bad("wrong password or no local password"));
    }
    if user.is_deactivated() {
        return Err(bad("account deactivated"));
    }
    let issued = create_session(
        &state,
        NewSession {
            user: &user,
            device_id: &body.device_id,
            voip_device_id: "",
            is_oauth: false,
            ctx: &ctx,
        },
    )
    .await?;
    let mut resp = Json(user.sanitized()).into_response();
    for (k, v) in login_headers(&state, &issued, ctx.secure) {
        resp.headers_mut().append(k, v);
    }
    Ok(resp)
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    if let Some((token, _)) = auth::request_token(&headers) {
        if let Ok(authed) = auth::authenticate(&state, &token).await {
            state.store.revoke_session(&authed.session.id).await?;
            state.broadcast(
                crate::state::CLOSE_SESSION,
                Value::String(authed.session.id.clone()),
                "",
            );
            crate::cluster::announce(
                &state,
                &format!("{}:{}", crate::cluster::SESSION_REVOKED, authed.session.id),
            )
            .await;
        }
    }
    let mut resp = Json(json!({"status": "OK"})).into_response();
    for (k, v) in logout_headers() {
        resp.headers_mut().append(k, v);
    }
    Ok(resp)
}

pub async fn me(authed: Authed) -> Json<User> {
    Json(authed.user.sanitized())
}

pub async fn get_one(
    State(state): State<Arc<AppState>>,
    _authed: Authed,
    Path(id): Path<String>,
) -> Result<Json<User>, AppError> {
    let user = state
        .store
        .get_user(&id)
        .await?
        .ok_or_else(|| AppError::new(ErrorId::NotFound, format!("user {id}")))?;
    Ok(Json(user.sanitized()))
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    _authed: Authed,
    p: Paging,
) -> Result<Json<Vec<User>>, AppError> {
    let users = state.store.list_users(p.page()).await?;
    Ok(Json(users.iter().map(User::sanitized).collect()))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let new: NewUser =
        serde_json::from_slice(&body).map_err(|e| AppError::invalid_body("user", e.to_string()))?;
    let creator = match auth::request_token(&headers) {
        Some((token, _)) => Some(auth::authenticate(&state, &token).await?),
        None => None,
    };
    let user = build_user(new)?;
    let created = match creator {
        Some(admin) => {
            admin.require_admin()?;
            state.store.create_user(user, false).await?
        }
        // Without a session only the very first account may be created; it becomes the admin.
        // The store decides "first" inside its transaction, so two racing sign-ups can't both win.
        None => match state.store.create_user(user, true).await {
            Err(mamgate_store::StoreError::Conflict("first_user")) => {
                return Err(AppError::new(
                    ErrorId::PermissionDenied,
                    "only the first user may be created without a session",
                ))
            }
            other => other?,
        },
    };
    Ok((axum::http::StatusCode::CREATED, Json(created.sanitized())).into_response())
}

#[derive(Debug, Deserialize)]
pub struct ActiveBody {
    active: bool,
}

pub async fn set_active(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, AppError> {
    let body: ActiveBody = serde_json::from_slice(&body)
        .map_err(|e| AppError::invalid_body("active", e.to_string()))?;
    if authed.user.id != id || body.active {
        authed.require_admin()?;
    }
    let user = state
        .store
        .set_user_active(&id, body.active, now_ms())
        .await?;
    state.broadcast("user_updated", json!({ "user": user.sanitized() }), "");
    if !body.active {
        state.broadcast(crate::state::CLOSE_USER, Value::Null, &user.id);
        crate::cluster::announce(
            &state,
            &format!("{}:{}", crate::cluster::USER_DEACTIVATED, user.id),
        )
        .await;
    }
    Ok(Json(json!({"status": "OK"})))
}

#[derive(Debug, Deserialize)]
pub struct BotBody {
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
}

pub async fn create_bot(
    State(state): State<Arc<AppState>>,
    authed: Authed,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    authed.require_admin()?;
    let body: BotBody =
        serde_json::from_slice(&body).map_err(|e| AppError::invalid_body("bot", e.to_string()))?;
    let user = state
        .store
        .create_user(build_bot(&body.username, &body.display_name)?, false)
        .await?;
    let bot = json!({
        "user_id": user.id, "username": user.username, "display_name": body.display_name,
        "description": body.description, "owner_id": authed.user.id,
        "create_at": user.create_at, "update_at": user.update_at, "delete_at": 0,
    });
    Ok((axum::http::StatusCode::CREATED, Json(bot)).into_response())
}
