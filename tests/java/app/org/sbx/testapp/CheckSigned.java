// Reads a JAR as the JDK does (JarFile with verification on) and
// reports any entry that is not signed, or exits 1 on a signature error.
package org.sbx.testapp;

import java.io.InputStream;
import java.security.CodeSigner;
import java.util.Enumeration;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

public final class CheckSigned {
	private CheckSigned() {
	}

	public static void main(String[] args) throws Exception {
		int unsigned = 0, signed = 0;
		byte[] buf = new byte[8192];

		try (JarFile jar = new JarFile(args[0], true)) {
			Enumeration<JarEntry> e = jar.entries();
			while (e.hasMoreElements()) {
				JarEntry je = e.nextElement();
				if (je.isDirectory())
					continue;
				try (InputStream in = jar.getInputStream(je)) {
					while (in.read(buf) != -1)
						;
				}
				String n = je.getName().toUpperCase();
				if (n.startsWith("META-INF/")
				    && n.indexOf('/', 9) < 0
				    && (n.endsWith(".SF") || n.endsWith(".RSA")
				    || n.endsWith(".MF")))
					continue;
				CodeSigner[] cs = je.getCodeSigners();
				if (cs == null || cs.length == 0) {
					System.out.println("unsigned: " + je.getName());
					unsigned++;
				} else
					signed++;
			}
		}
		System.out.println("signed=" + signed + " unsigned=" + unsigned);
		System.exit(unsigned == 0 && signed > 0 ? 0 : 2);
	}
}
