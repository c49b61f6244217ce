// runtime-check/java/org/sbx/guard/Sbx.java: how a sandbox tells the guard.
// SPDX-License-Identifier: ISC
package org.sbx.guard;

/**
 * The Java side of libsbxguard.so. A sandbox (a SecurityManager
 * replacement, a policy agent, a plugin host) that catches code doing
 * what it must not reports it here; the guard writes an audit event of
 * kind sbx.violation (operation "sandbox") and counts it in
 * sbx_violations_total{type,tenant}, as it does for its own checks.
 *
 * The native method is bound by the JVM to the guard library when it is
 * loaded as an agent (-agentpath:.../libsbxguard.so=policy=...).
 * Without the agent a call throws UnsatisfiedLinkError.
 */
public final class Sbx {
	private Sbx() {
	}

	/**
	 * Report a violation.
	 *
	 * @param type one of sbx's violation types ("forbidden_flag",
	 *     "unsigned", ...; docs/metrics.md lists them)
	 * @param detail one line saying what happened
	 * @throws IllegalArgumentException if type is not such a type
	 * @throws IllegalStateException if the audit log could not be
	 *     written
	 */
	public static native void reportViolation(String type, String detail);
}
