//! The explanations of outcomes, Chinese then English, as the JSON
//! `explanation` field and the text output carry them; the dry run's
//! warning. (What each WeChat Pay error code means is in `codes`.)

pub const UNKNOWN_EXPLANATION: &str = "结果未知：退券可能已经成功，也可能没有。用同一个退券单号重试是安全的，不会重复退券。 \
     The outcome is unknown: the return may or may not have happened. Retrying with the same \
     request number is safe; it can never return the coupon twice.";

pub const NOT_ACCEPTED_EXPLANATION: &str = "微信支付没有受理这个请求（请求过于频繁）：这次请求没有退券。稍后用同一个退券单号重试是安全的。 \
     WeChat Pay did not accept this request (too many requests): it did not return the \
     coupon. Retrying later with the same request number is safe; it can never return the coupon \
     twice.";

pub const UNVERIFIED_EXPLANATION: &str = "应答验签失败，不能当作成功：退券可能已经成功，也可能没有。请检查 wechatpay_public_key_id 与 \
     wechatpay_public_key_file 是否与商户平台上的微信支付公钥一致、本机时钟是否准确、是否有代理改写了应答。 \
     The answer failed verification, so it is not a success: the return may or may not have \
     happened. Check that wechatpay_public_key_id and wechatpay_public_key_file match the WeChat \
     Pay public key shown on the merchant platform, that the local clock is right, and that no \
     proxy rewrites answers. Re-running with the same request number is safe.";

pub const UNEXPECTED_BODY_EXPLANATION: &str = "应答签名有效（确实来自微信支付），但内容不是本接口文档所述的格式：退券可能已经成功，也可能没有。\
     请查询券详情确认券状态，并附上 Request-ID 报告 wxcoupon 的问题。 \
     The answer's signature is valid, so it came from WeChat Pay, but its body is not what this API \
     documents: the return may or may not have happened. Query the coupon's details (查询券详情) to \
     be sure, and report this to wxcoupon with the Request-ID. Re-running with the same request \
     number is safe.";

pub const PLATFORM_CERTIFICATE_EXPLANATION: &str = "应答由微信支付平台证书签名，而不是微信支付公钥：该商户尚未在商户平台开启“切换为微信支付公钥”。\
     请在商户平台（账户中心 → API安全 → 微信支付公钥）完成切换，或在 profile 中配置平台证书（platform_certificates_dir 与 apiv3_key_file）。退券可能已经成功，也可能没有。 \
     The answer was signed by a WeChat Pay platform certificate, not by the WeChat Pay public key: \
     this merchant has not turned on the switch to the WeChat Pay public key in the merchant \
     platform, so WeChat Pay still signs with the certificate. Turn the switch on (账户中心 → \
     API安全 → 微信支付公钥), or give the profile platform certificates too \
     (platform_certificates_dir and apiv3_key_file, then `wxcoupon certificates download`). The \
     return may or may not have happened; re-running with the same request number (--resume) is \
     safe once either is done.";

pub const UNSUPPORTED_TYPE_EXPLANATION: &str = "应答使用了 wxcoupon 无法验证的签名算法，不能当作成功：退券可能已经成功，也可能没有。 \
     The answer is signed with an algorithm wxcoupon cannot check (it verifies \
     WECHATPAY2-SHA256-RSA2048, the RSA scheme), so it is not a success: the return may or may \
     not have happened. Query the coupon's details (查询券详情) to be sure.";

pub const UNVERIFIED_CHECK: &str = "check: wechatpay_public_key_id and wechatpay_public_key_file match the merchant platform's \
     WeChat Pay public key; the local clock; a proxy rewriting answers";

pub const PROBE_EXPLANATION: &str = "微信支付有时会故意返回错误的签名（探测，WECHATPAY/SIGNTEST/…），以检查客户端是否验签；其背后的请求很可能已被处理。\
     wxcoupon 已用同一退券单号重试一次，仍未能确认。请用下面的命令（--resume）重跑确认：不会重复退券。 \
     WeChat Pay sometimes answers with a deliberately invalid signature (a probe, \
     WECHATPAY/SIGNTEST/…) to check that clients verify answers; the request behind it may well \
     have been processed. wxcoupon tried once more with the same request number, which did not \
     confirm the return. Re-run with the command below (--resume) to confirm it: it can never \
     return the coupon twice.";

pub const UNKNOWN_CERTIFICATE_EXPLANATION: &str = "应答由一张本地没有的微信支付平台证书签名：请下载平台证书（wxcoupon certificates download，需要APIv3密钥），然后用同一退券单号重跑。退券可能已经成功，也可能没有。 \
     The answer was signed by a WeChat Pay platform certificate that is not in \
     platform_certificates_dir: download the certificates (`wxcoupon certificates download`, \
     which needs the APIv3 key: apiv3_key_file or WXCOUPON_APIV3_KEY), then re-run with the same \
     request number (--resume). The return may or may not have happened.";

pub const CERTIFICATE_NOT_VALID_EXPLANATION: &str = "应答由一张在应答时间已过期或尚未生效的平台证书签名，不能当作成功：请下载当前的平台证书后用同一退券单号重跑。 \
     The answer was signed by a platform certificate that was expired or not yet valid at the \
     answer's time, so it is not a success: download the current certificates (`wxcoupon \
     certificates download`) and re-run with the same request number (--resume). The return may or \
     may not have happened.";

pub const PUBLIC_KEY_NOT_CONFIGURED_EXPLANATION: &str = "应答由微信支付公钥签名，但该 profile 只配置了平台证书：商户已切换为微信支付公钥。请在 profile 中加上 wechatpay_public_key_id 与 wechatpay_public_key_file。 \
     The answer was signed by the WeChat Pay public key, but the profile has only platform \
     certificates: the merchant has switched to the public key. Add wechatpay_public_key_id and \
     wechatpay_public_key_file (pub_key.pem, from the merchant platform) to the profile, then \
     re-run with the same request number (--resume). The return may or may not have happened.";

pub const CONFIRMED_EXPLANATION: &str = "已退券：之前用同一退券单号发出的请求已被处理（微信支付答复 RESOURCE_ALREADY_EXISTS）。 \
     Returned: an earlier request with this same request number was processed \
     (WeChat Pay answers RESOURCE_ALREADY_EXISTS); no return time is known.";

/// Said with every dry run: its Authorization header is a credential for a while.
pub const DRY_RUN_WARNING: &str = "warning: the Authorization header of this dry run is valid for 5 minutes: \
     treat it as a password until then (do not paste it into a ticket or a chat)";

/// A return confirmed by the one more attempt after a signature probe.
pub const PROBE_CONFIRMED: &str = "WeChat Pay's first answer carried a signature probe (WECHATPAY/SIGNTEST/…), \
     invalid by design; one more attempt with the same request number confirmed the return.";

// A platform certificate download.

pub const NO_CERTIFICATES_EXPLANATION: &str = "该商户没有可用的平台证书：商户只使用微信支付公钥，或平台证书已过期。请在 profile 中使用 wechatpay_public_key_id 与 wechatpay_public_key_file。 \
     WeChat Pay has no usable platform certificate for this merchant: the merchant uses only the \
     WeChat Pay public key (微信支付公钥), or its platform certificates have expired. Use the public \
     key in the profile (wechatpay_public_key_id and wechatpay_public_key_file, from the merchant \
     platform: 账户中心 → API安全); this is not a failure of wxcoupon.";

pub const APIV3_KEY_EXPLANATION: &str = "平台证书无法用 APIv3 密钥解密：APIv3 密钥多半不对（商户平台 → 账户中心 → API安全 → 设置APIv3密钥），或应答被篡改。没有写入任何证书。 \
     The platform certificates do not decrypt under the APIv3 key: most likely the APIv3 key is \
     wrong (the one set in the merchant platform: 账户中心 → API安全 → APIv3密钥; apiv3_key_file or \
     WXCOUPON_APIV3_KEY), or the answer was tampered with. No certificate was written.";

pub const REFUSED_EXPLANATION: &str = "下载的平台证书没有通过校验，没有写入任何证书。 The downloaded platform certificates \
     did not pass the checks (the answer's signature, or a certificate against its entry), so no \
     certificate was written: something between wxcoupon and WeChat Pay may have changed the \
     answer. Try again; if it persists, report it with the Request-ID.";

pub const DOWNLOAD_UNKNOWN_EXPLANATION: &str =
    "下载没有得到明确的结果，可以重试。 The download got no definitive answer; run it again.";

pub const NOT_SAVED_EXPLANATION: &str = "平台证书已下载并验证，但无法写入 platform_certificates_dir（磁盘已满，或没有写权限）：没有保存任何证书。处理后重新运行 wxcoupon certificates download 即可。 \
     The platform certificates were downloaded and verified, but could not be written to \
     platform_certificates_dir (a full disk, or no permission to write there): no certificate \
     was saved. Fix that, then run `wxcoupon certificates download` again; downloading again is \
     safe.";

pub const DOWNLOAD_SIGNED_BY_PUBLIC_KEY_EXPLANATION: &str = "平台证书下载的应答由微信支付公钥签名：该商户已切换为微信支付公钥，而 profile 只配置了平台证书。请在 profile 中加上 wechatpay_public_key_id 与 wechatpay_public_key_file（商户平台 → 账户中心 → API安全 → 微信支付公钥）。没有写入任何证书。 \
     The download's answer is signed by the WeChat Pay public key: the merchant has switched to \
     it, and the profile has only platform certificates. Add wechatpay_public_key_id and \
     wechatpay_public_key_file to the profile (pub_key.pem, from the merchant platform: 账户中心 → \
     API安全 → 微信支付公钥); answers signed by either are then verified. No certificate was \
     written.";
