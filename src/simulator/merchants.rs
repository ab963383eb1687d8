//! The platform merchants a simulator serves. Each has its own keys, its own APIv3 key, its own
//! WeChat Pay public key and platform certificate, and its own books: a request is answered by the
//! merchant its `Authorization` names, and verified with that merchant's key only, so one
//! merchant's key signs nothing for another, and no merchant sees another's orders. They share
//! the listening socket, the clock and the control plane.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::task::JoinHandle;

use super::{
    AnswerSigner, Credentials, Data, Fixtures, InProgressAnswers, PlatformIdentity, SimulatorError,
    State, checks, control, keys, ledger, lock, notify,
};
use crate::{ApiV3Key, MerchantKey};

/// A merchant to add to a running simulator ([`Simulator::add_merchant`](super::Simulator)):
/// whatever is not given is generated. `Debug` leaves out the APIv3 key.
#[derive(Clone, Default)]
pub struct NewMerchant {
    /// Its id (商户号); by default the next free one from `1900000001`.
    pub mchid: Option<String>,
    /// Its API certificate's serial number and its public key (PEM `BEGIN PUBLIC KEY`, or the
    /// certificate `BEGIN CERTIFICATE`); by default a key pair is generated, and its private key
    /// is in the [`Credentials`] answered.
    pub public_key: Option<(String, String)>,
    /// Its APIv3 key, 32 characters; by default a random one.
    pub apiv3_key: Option<String>,
}

impl fmt::Debug for NewMerchant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewMerchant")
            .field("mchid", &self.mchid)
            .field(
                "serial_no",
                &self.public_key.as_ref().map(|(serial, _)| serial),
            )
            .finish_non_exhaustive()
    }
}

/// A platform certificate's material, as kept on disk.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct PlatformKeys {
    pub pem: String,
    pub private_key_pem: String,
    pub years: (i32, i32),
}

/// All of a merchant's key material, generated or given: what its [`State`] is built from, and
/// what `--data` keeps so that a restarted sandbox answers to the keys its clients hold. Test-only
/// by construction: nothing here is a real merchant's key.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct MerchantKeys {
    pub mchid: String,
    pub serial_no: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub wechatpay_public_key_id: String,
    pub wechatpay_public_key_pem: String,
    /// The WeChat Pay public key's private half: what answers are signed with.
    pub wechatpay_private_key_pem: String,
    pub platform: Vec<PlatformKeys>,
    pub apiv3_key: String,
}

impl fmt::Debug for MerchantKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MerchantKeys")
            .field("mchid", &self.mchid)
            .finish_non_exhaustive()
    }
}

impl MerchantKeys {
    /// Generates what `merchant` does not give; `mchid` is its id.
    pub(crate) fn generate(mchid: String, merchant: NewMerchant) -> Result<Self, SimulatorError> {
        let (serial_no, public_key_pem, private_key_pem) = match merchant.public_key {
            Some((serial_no, public_pem)) => (serial_no, public_pem, None),
            None => {
                let (private_pem, public_pem) = keys::rsa_key_pair()?;
                // The serial ends with the merchant id's last eight digits, so that each differs
                // (the id is digits: every byte is a character).
                let tail = mchid.get(mchid.len().saturating_sub(8)..).unwrap_or(&mchid);
                let serial_no = format!("3775B6A45ACD588826D15E583A95F5DD{tail:0>8}");
                (serial_no, public_pem, Some(private_pem))
            }
        };
        let apiv3_key = match merchant.apiv3_key {
            Some(key) => {
                ApiV3Key::new(&key)?;
                key
            }
            None => {
                let mut apiv3 = [0u8; 16];
                aws_lc_rs::rand::fill(&mut apiv3)
                    .map_err(|_| SimulatorError::Keys("no randomness".into()))?;
                apiv3.iter().map(|b| format!("{b:02x}")).collect()
            }
        };
        let (wechatpay_private_key_pem, wechatpay_public_key_pem) = keys::rsa_key_pair()?;
        let certificate =
            keys::platform_certificate(keys::random_serial()?, PLATFORM_YEARS.0, PLATFORM_YEARS.1)?;
        Ok(Self {
            wechatpay_public_key_id: format!("PUB_KEY_ID_01{mchid}2026112200000000000001"),
            mchid,
            serial_no,
            public_key_pem,
            private_key_pem,
            wechatpay_public_key_pem,
            wechatpay_private_key_pem,
            platform: vec![PlatformKeys {
                pem: certificate.pem,
                private_key_pem: certificate.private_key_pem,
                years: PLATFORM_YEARS,
            }],
            apiv3_key,
        })
    }

    /// What a client needs, from these keys and `signing`, the platform certificate that signs
    /// now.
    fn credentials(&self, signing: &PlatformIdentity) -> Credentials {
        Credentials {
            mchid: self.mchid.clone(),
            merchant_serial_no: self.serial_no.clone(),
            merchant_private_key_pem: self.private_key_pem.clone(),
            wechatpay_public_key_id: self.wechatpay_public_key_id.clone(),
            wechatpay_public_key_pem: self.wechatpay_public_key_pem.clone(),
            platform_certificate_pem: signing.pem.clone(),
            platform_certificate_serial: signing.serial.clone(),
            apiv3_key: self.apiv3_key.clone(),
        }
    }
}

/// The validity of the platform certificates the simulator makes, unless told otherwise.
pub(crate) const PLATFORM_YEARS: (i32, i32) = (2020, 2099);

/// What every merchant of one simulator shares.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub rules: ledger::Rules,
    pub max_kept: usize,
    /// The data file, with `--data`.
    #[cfg(feature = "simulator-data")]
    pub store: Option<Arc<super::store::Store>>,
}

impl State {
    /// A merchant's state from its keys, with empty books on `clock` (plus `advanced`).
    pub(crate) fn new(
        keys: MerchantKeys,
        settings: Settings,
        fixtures: Fixtures,
        clock: (ledger::Clock, Duration),
    ) -> Result<Self, SimulatorError> {
        let (merchant_public_key, merchant_encryption) =
            super::merchant_public_key(&keys.public_key_pem)?;
        let platform = keys
            .platform
            .iter()
            .map(|p| PlatformIdentity::from_keys(p).map(Arc::new))
            .collect::<Result<Vec<_>, _>>()?;
        let signing = (platform.last())
            .ok_or_else(|| SimulatorError::Keys("no platform certificate".into()))?;
        let credentials = keys.credentials(signing);
        let mut ledger = ledger::Ledger::new(clock.0, settings.max_kept);
        ledger.advance(clock.1);
        ledger.add_transactions(&fixtures)?;
        let max_kept = settings.max_kept;
        Ok(Self {
            #[cfg(feature = "simulator-data")]
            store: settings.store.clone(),
            dirty: std::sync::atomic::AtomicBool::new(true),
            merchant: checks::Merchant {
                mchid: keys.mchid.clone(),
                serial_no: keys.serial_no.clone(),
                public_key: merchant_public_key,
                encryption: merchant_encryption,
            },
            credentials,
            public_key_key: MerchantKey::from_pem(&keys.wechatpay_private_key_pem)?,
            public_key_decrypt: keys::decrypting_key(&keys.wechatpay_private_key_pem)?,
            apiv3_key: ApiV3Key::new(&keys.apiv3_key)?,
            keys,
            rules: settings.rules,
            max_kept,
            data: Mutex::new(Data {
                fixtures,
                ledger,
                profit_sharing: super::profit_sharing::ProfitSharing::new(max_kept),
                refunds: super::refunds::Refunds::new(max_kept),
                subsidies: super::subsidies::Subsidies::new(max_kept),
                after_sales: super::after_sales::AfterSales::new(max_kept),
                fund: super::fund::Fund::new(max_kept),
                bills: super::bills::Bills::new(max_kept),
                faults: super::faults::FaultQueue::default(),
                seen: super::tracked::Log::new(max_kept),
                nonces: checks::Nonces::default(),
                no_certificates: false,
                answer_signer: AnswerSigner::default(),
                in_progress: InProgressAnswers::default(),
                accept_unsigned: false,
                platform,
                notify: notify::Outbox::new(max_kept),
                resave: true,
                fixtures_changed: true,
                keys_changed: true,
            }),
            wake: tokio::sync::Notify::new(),
            // WeChat Pay does not follow redirects from a notify URL.
            notifier: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| {
                    SimulatorError::Keys(format!("no HTTP client for notifications: {e}"))
                })?,
        })
    }
}

/// The merchants of one simulator, the first one the default, and what they share.
pub(crate) struct Merchants {
    list: RwLock<Vec<Arc<State>>>,
    settings: Settings,
    /// The token the control plane (`/sandbox/…`) answers to; without one it is off.
    pub(crate) control_token: Option<control::ControlToken>,
    /// TCP connections accepted so far.
    pub(crate) connections: AtomicU64,
    /// Each merchant's notification task, aborted when the simulator stops.
    notifiers: Mutex<Vec<JoinHandle<()>>>,
    /// Ids being added (their keys being generated): not given to another.
    adding: Mutex<Vec<String>>,
}

impl Merchants {
    /// The merchants, the first the default; starts their notification tasks.
    pub(crate) fn new(
        list: Vec<State>,
        settings: Settings,
        control_token: Option<control::ControlToken>,
    ) -> Arc<Self> {
        let list: Vec<Arc<State>> = list.into_iter().map(Arc::new).collect();
        let notifiers = (list.iter())
            .map(|state| tokio::spawn(notify::run(state.clone())))
            .collect();
        let merchants = Arc::new(Self {
            list: RwLock::new(list),
            settings,
            control_token,
            connections: AtomicU64::new(0),
            notifiers: Mutex::new(notifiers),
            adding: Mutex::new(Vec::new()),
        });
        #[cfg(feature = "simulator-data")]
        if let Some(store) = &merchants.settings.store {
            store.serve(&merchants);
        }
        merchants
    }

    /// Saves every merchant (with `--data`), and waits until it is on disk: what a control
    /// call does before its answer.
    pub(crate) async fn save(&self) -> Result<(), SimulatorError> {
        #[cfg(feature = "simulator-data")]
        if let Some(store) = &self.settings.store {
            for state in self.all() {
                state.dirty.store(true, std::sync::atomic::Ordering::SeqCst);
            }
            return store.save().await;
        }
        Ok(())
    }

    /// Every merchant, the default first.
    pub(crate) fn all(&self) -> Vec<Arc<State>> {
        read(&self.list).clone()
    }

    /// The default merchant: the one the simulator started with.
    pub(crate) fn first(&self) -> Option<Arc<State>> {
        read(&self.list).first().cloned()
    }

    /// The merchant `mchid`, if the simulator serves it.
    pub(crate) fn get(&self, mchid: &str) -> Option<Arc<State>> {
        read(&self.list)
            .iter()
            .find(|state| state.merchant.mchid == mchid)
            .cloned()
    }

    /// Who answers a request with this `Authorization`: the merchant it names, else the default
    /// one (which then refuses it: no signature, or an mchid it is not).
    pub(crate) fn for_authorization(&self, authorization: Option<&str>) -> Option<Arc<State>> {
        authorization
            .and_then(checks::named_mchid)
            .and_then(|mchid| self.get(mchid))
            .or_else(|| self.first())
    }

    /// Adds a merchant, on the default merchant's clock; its credentials.
    pub(crate) async fn add(&self, merchant: NewMerchant) -> Result<Credentials, SimulatorError> {
        let mchid = match &merchant.mchid {
            Some(mchid) => {
                if mchid.is_empty()
                    || !mchid.bytes().all(|b| b.is_ascii_digit())
                    || mchid.len() > 32
                {
                    return Err(SimulatorError::Setting {
                        setting: "mchid",
                        why: "digits only, 1 to 32 of them",
                    });
                }
                mchid.clone()
            }
            None => self.next_mchid(),
        };
        {
            let mut adding = lock(&self.adding);
            if self.get(&mchid).is_some() || adding.contains(&mchid) {
                return Err(SimulatorError::MerchantExists(mchid));
            }
            adding.push(mchid.clone());
        }
        let reserved = mchid.clone();
        // RSA key generation takes a while: off the runtime's threads.
        let keys = tokio::task::spawn_blocking(move || MerchantKeys::generate(mchid, merchant))
            .await
            .map_err(|e| SimulatorError::Keys(e.to_string()))
            .and_then(|keys| keys);
        let added = match keys {
            Ok(keys) => self.serve_new(keys).await,
            Err(e) => Err(e),
        };
        lock(&self.adding).retain(|id| *id != reserved);
        added
    }

    /// Serves a merchant from its keys (its id reserved by [`add`](Self::add)), with no fixtures,
    /// on the default merchant's clock, and saves it; its credentials.
    async fn serve_new(&self, keys: MerchantKeys) -> Result<Credentials, SimulatorError> {
        let clock = self
            .first()
            .map(|first| first.data().ledger.clock())
            .unwrap_or_else(|| (ledger::Clock::new(1.0), Duration::ZERO));
        let state = Arc::new(State::new(
            keys,
            self.settings.clone(),
            Fixtures::default(),
            clock,
        )?);
        let credentials = state.credentials.clone();
        lock(&self.notifiers).push(tokio::spawn(notify::run(state.clone())));
        write(&self.list).push(state);
        self.save().await?;
        Ok(credentials)
    }

    /// The next id from `1900000001` that no merchant has, and none being added.
    fn next_mchid(&self) -> String {
        let list = read(&self.list);
        let adding = lock(&self.adding);
        (1_900_000_001u64..)
            .map(|n| n.to_string())
            .find(|id| list.iter().all(|s| s.merchant.mchid != *id) && !adding.contains(id))
            .unwrap_or_default()
    }

    /// Moves every merchant's clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        for state in self.all() {
            state.advance(by);
            state.touch();
        }
    }

    /// Runs every merchant's clock at `speed`.
    pub(crate) fn set_clock_speed(&self, speed: f64) -> Result<(), SimulatorError> {
        for state in self.all() {
            state.set_clock_speed(speed)?;
            state.touch();
        }
        Ok(())
    }

    /// Puts every merchant's books back to the start (the merchants and their keys stay).
    pub(crate) fn reset(&self) -> Result<(), SimulatorError> {
        for state in self.all() {
            state.reset()?;
            state.touch();
        }
        Ok(())
    }

    /// Stops the notification tasks, and the data file's writer once it has written what was
    /// asked.
    pub(crate) fn stop(&self) {
        for task in lock(&self.notifiers).drain(..) {
            task.abort();
        }
        #[cfg(feature = "simulator-data")]
        if let Some(store) = &self.settings.store {
            store.stop();
        }
    }
}

// A panic while holding the list's lock leaves a list that is still whole.
fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
