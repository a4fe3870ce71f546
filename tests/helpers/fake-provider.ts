/**
 * The token endpoint of an OpenID provider that tests stand in for (the plugin RECIPES' "Sign in with a
 * provider"): a code is taken once, checked against its PKCE verifier, and answered with an
 * unsigned ID token, as a provider's over https needs no signature check.
 *
 * @example
 * const { grant, response } = await redeem(grants, request, provider)
 */

/** What the provider kept of an `/authorize`, by the code it gave. */
export interface Grant {
    challenge: string
    nonce: string
    sub: string
}

/** The answer to a `/token` request, and the grant its code named when the verifier matched it. */
export const redeem = async <G extends Grant>(
    grants: Map<string, G>,
    request: Request,
    { issuer, clientId }: { issuer: string; clientId: string }
) => {
    const form = new URLSearchParams(await request.text())
    const code = form.get('code') ?? ''
    const grant = grants.get(code)
    grants.delete(code)
    const challenge = new Bun.CryptoHasher('sha256').update(form.get('code_verifier') ?? '').digest('base64url')
    if (!grant || grant.challenge !== challenge)
        return { response: Response.json({ error: 'invalid_grant' }, { status: 400 }) }
    const exp = Math.floor(Date.now() / 1000) + 300
    const claims = { iss: issuer, aud: clientId, exp, nonce: grant.nonce, sub: grant.sub }
    const idToken = `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.unsigned`
    return { grant, response: Response.json({ id_token: idToken }) }
}
