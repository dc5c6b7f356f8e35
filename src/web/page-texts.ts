/**
 * The words of the pages, apart from their rendering (./pages.ts), so that they
 * can be read, reviewed and translated as data: the text of every reason code,
 * and the words around it. Plain text: the renderer escapes it. `{org}` stands
 * for ORG_NAME, `{title}` for the reason's title.
 */
import { Reasons, type Reason } from '../errors.js';

/** The words of the landing page, the help desk line and the frame of the error pages. */
export const PAGE_TEXTS = {
  landing: {
    title: 'Open CommBox',
    titleWithOrg: 'Open CommBox: {org}',
    heading: 'CommBox',
    signIn: 'Sign in with your company account to open CommBox.',
    signInWithOrg: 'Sign in with your {org} account to open CommBox.',
    button: 'Open CommBox',
  },
  help: {
    label: 'Help:',
    link: 'the help desk of your company',
    linkWithOrg: 'the help desk of {org}',
  },
  error: {
    titleWithOrg: '{title}: {org}',
    banner: '{org}: CommBox sign-in',
    retry: 'Try again',
    reference: 'Reference:',
  },
};

/** What the page (and the JSON answer) says for one reason code. */
export interface ReasonText {
  readonly title: string;
  /** What happened, in plain words. */
  readonly what: string;
  /** What the user can do. */
  readonly todo: string;
  /** Whether "Try again" makes sense (the page then shows the button). */
  readonly retry: boolean;
}

const ASK_ADMIN = 'If this keeps happening, contact your IT service desk and quote the reference below.';

/** Every reason code's text: a reason without one fails the typecheck. */
export const REASON_TEXTS: Readonly<Record<Reason, ReasonText>> = {
  [Reasons.loginCookieMissing]: {
    title: 'Your sign-in could not be matched',
    what: 'The sign-in came back without the login cookie this browser received when it started. This happens when cookies are blocked for this site, when a bookmark of the sign-in page is used, or when the sign-in was started in another browser or window.',
    todo: 'Start again from the button below (not from a bookmark of the sign-in page), and allow cookies for this site.',
    retry: true,
  },
  [Reasons.loginCookieInvalid]: {
    title: 'Your sign-in could not be matched',
    what: 'The login cookie in this browser could not be read. It may come from an older version of this service.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.loginExpired]: {
    title: 'Your sign-in took too long',
    what: 'More than 10 minutes passed between starting the sign-in and coming back.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.stateMismatch]: {
    title: 'Your sign-in could not be matched',
    what: 'The answer from the sign-in service does not belong to the sign-in this browser started.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.callbackReplayed]: {
    title: 'This sign-in was already used',
    what: 'This sign-in has already been used once, and each one works only once. This happens when the last page is reloaded or reached again with the back button.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.callbackInvalid]: {
    title: 'Incomplete sign-in answer',
    what: 'The answer from the sign-in service is incomplete.',
    todo: 'Start a fresh sign-in from the button below.',
    retry: true,
  },
  [Reasons.idpError]: {
    title: 'The sign-in service did not sign you in',
    what: 'Your company sign-in service ended the sign-in without signing you in.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.idpUnavailable]: {
    title: 'The sign-in service is unavailable',
    what: 'Your company sign-in service cannot be reached right now.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.issMismatch]: {
    title: 'Unexpected sign-in service',
    what: 'The answer came from a sign-in service this site does not use, so it was refused.',
    todo: `Start a fresh sign-in from the button below. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.tokenExchangeFailed]: {
    title: 'Sign-in could not be completed',
    what: 'The sign-in service did not confirm your sign-in.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.idTokenInvalid]: {
    title: 'Sign-in could not be verified',
    what: 'The sign-in service sent a proof of identity that failed our security checks, so it was refused.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.userinfoFailed]: {
    title: 'Your profile could not be read',
    what: 'The sign-in service did not give us your profile details.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.userinfoSubMismatch]: {
    title: 'Sign-in could not be verified',
    what: 'The profile from the sign-in service belongs to a different account than the sign-in, so it was refused.',
    todo: ASK_ADMIN,
    retry: true,
  },
  [Reasons.authTooOld]: {
    title: 'Please sign in again',
    what: 'Your company asks for a recent sign-in to open CommBox, and the sign-in service confirmed an older one.',
    todo: `Sign in again from the button below. If this page comes back, the sign-in service did not ask for your password: ${ASK_ADMIN.charAt(0).toLowerCase()}${ASK_ADMIN.slice(1)}`,
    retry: true,
  },
  [Reasons.reauthenticationMissing]: {
    title: 'Please enter your password again',
    what: 'Your company asks for a new sign-in every time CommBox is opened here, and the sign-in service confirmed an earlier one instead.',
    todo: 'Start a fresh sign-in from the button below and enter your password when asked. If this page comes back, contact your IT service desk and quote the reference below.',
    retry: true,
  },
  [Reasons.acrNotSatisfied]: {
    title: 'Your sign-in did not use the required method',
    what: 'Your company requires a particular way of signing in to open CommBox (for example with a second factor), and the sign-in service confirmed another one.',
    todo: `Sign in again from the button below, using the method your company requires. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.noAccessRule]: {
    title: 'CommBox access is not set up here',
    what: 'This sign-in service has no rule saying who may open CommBox, so nobody is let in.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.emailUnverified]: {
    title: 'Your email address is not verified',
    what: 'Your company account has an email address that is not marked as verified, so it cannot be used to open CommBox.',
    todo: 'Ask your IT service desk to verify the email address on your account, then try again.',
    retry: false,
  },
  [Reasons.groupNotAllowed]: {
    title: 'You do not have access to CommBox',
    what: 'You are signed in, but your account is not in a group that may use CommBox.',
    todo: 'Ask your IT service desk or manager for CommBox access, quoting the reference below.',
    retry: false,
  },
  [Reasons.emailDomainNotAllowed]: {
    title: 'You do not have access to CommBox',
    what: 'You are signed in, but your email address is not in a domain that may use CommBox.',
    todo: 'Ask your IT service desk for CommBox access, quoting the reference below.',
    retry: false,
  },
  [Reasons.usernameWithoutDomain]: {
    title: 'Your account cannot open CommBox from here',
    what: 'You are signed in, but this sign-in service gave an account name without a company domain (name@company), and accounts from it need one so they can never be mistaken for accounts of another sign-in service.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.hostedDomainNotAllowed]: {
    title: 'Use your company account',
    what: 'You signed in with an account that does not belong to your company (for example a personal Google account), so it cannot open CommBox.',
    todo: 'Sign in again with your company account. If you did, contact your IT service desk and quote the reference below.',
    retry: true,
  },
  [Reasons.groupsOverage]: {
    title: 'Your groups could not be read',
    what: 'Your account is in too many groups for the sign-in to list them, so this service cannot tell whether you may use CommBox.',
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.claimMissing]: {
    title: 'Your account is missing information',
    what: 'Your company account does not provide a detail CommBox needs to recognise you.',
    todo: 'Ask your IT service desk to complete your account, quoting the reference below.',
    retry: false,
  },
  [Reasons.chatChannelNotAllowed]: {
    title: 'Chat not available',
    what: 'This chat channel cannot be opened from this sign-in service.',
    todo: 'Use the chat link your company published, or ask your IT service desk.',
    retry: false,
  },
  [Reasons.commboxUnauthorized]: {
    title: 'CommBox refused this service',
    what: "CommBox did not accept this sign-in service's credentials. This is a configuration problem, not yours.",
    todo: 'Contact your IT service desk and quote the reference below.',
    retry: false,
  },
  [Reasons.commboxRejected]: {
    title: 'CommBox did not recognise you',
    what: 'You are signed in, but CommBox refused to open a session for your account. Your CommBox agent record may not match your company account.',
    todo: 'Contact your IT service desk or CommBox administrator and quote the reference below.',
    retry: true,
  },
  [Reasons.commboxUnavailable]: {
    title: 'CommBox is unavailable',
    what: 'You are signed in, but CommBox could not be reached or did not answer properly.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.commboxTimeout]: {
    title: 'CommBox is not answering',
    what: 'You are signed in, but CommBox took too long to answer.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.commboxBadResponse]: {
    title: 'CommBox sent an unexpected answer',
    what: 'You are signed in, but CommBox answered in a way this service does not understand.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.loginTimeout]: {
    title: 'Sign-in took too long',
    what: 'The sign-in service or CommBox answered too slowly, so this sign-in was stopped. No CommBox session was opened.',
    todo: `Wait a minute and try again. ${ASK_ADMIN}`,
    retry: true,
  },
  [Reasons.initiateUnknownIssuer]: {
    title: 'Unknown sign-in service',
    what: 'This link asks to sign in with a sign-in service this site does not use, so it was refused.',
    todo: "Use your company's CommBox link or app tile, or start from the button below.",
    retry: true,
  },
  [Reasons.initiateBadTarget]: {
    title: 'Link not allowed',
    what: 'This link asks to go somewhere this service does not send people to, so it was refused.',
    todo: "Use your company's CommBox link or app tile, or start from the button below.",
    retry: true,
  },
  [Reasons.rateLimited]: {
    title: 'Too many attempts',
    what: 'Too many sign-in requests came from your network in a short time.',
    todo: 'Wait a minute, then try again.',
    retry: true,
  },
  [Reasons.badRequest]: {
    title: 'Bad request',
    what: 'The request could not be understood.',
    todo: 'Start from the button below.',
    retry: true,
  },
  [Reasons.notFound]: {
    title: 'Page not found',
    what: 'There is no page at this address.',
    todo: 'Start from the button below.',
    retry: true,
  },
  [Reasons.internalError]: {
    title: 'Something went wrong',
    what: 'This service hit an unexpected problem.',
    todo: `Try again. ${ASK_ADMIN}`,
    retry: true,
  },
};
