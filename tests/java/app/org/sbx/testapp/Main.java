// The program the test agents run beside.
package org.sbx.testapp;

public final class Main {
	private Main() {
	}

	public static void main(String[] args) {
		System.out.println("sbx-test-app main ran");
	}
}
