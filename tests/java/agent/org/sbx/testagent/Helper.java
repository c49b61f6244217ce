// A second class, so tampering tests have more than one entry to change.
package org.sbx.testagent;

public final class Helper {
	private Helper() {
	}

	public static String greet() {
		return "hello from the test agent";
	}
}
