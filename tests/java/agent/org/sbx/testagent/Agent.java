// A minimal Java agent for tests: proves its premain ran.
package org.sbx.testagent;

import java.lang.instrument.Instrumentation;

public final class Agent {
	private Agent() {
	}

	public static void premain(String args, Instrumentation inst) {
		System.out.println("sbx-test-agent premain ran"
		    + (args == null ? "" : " with " + args));
	}
}
