/*
 * The T-SQL of the seed documents (shared/seeds/000_*: "Use Certificates for
 * Outbound Connections", 003_*: "... for Inbound Connections"), verbatim,
 * code block by code block, trailing blanks included. GO lines are left in:
 * the tests split batches at them as a client does. This is the acceptance
 * script of issue 5; do not edit it to make a test pass.
 */
#ifndef SEEDS_SQL_H
#define SEEDS_SQL_H

static const char SEED_OUT_A_MASTER_KEY[] =
    "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<1_Strong_Password!>';  \n"
    "GO  ";

static const char SEED_OUT_A_CERTIFICATE[] =
    "USE master;  \n"
    "CREATE CERTIFICATE HOST_A_cert   \n"
    "   WITH SUBJECT = 'HOST_A certificate for database mirroring',   \n"
    "   EXPIRY_DATE = '11/30/2013';  \n"
    "GO  ";

static const char SEED_OUT_A_SELECT_CERTIFICATES[] = "USE master;  \n"
                                                     "SELECT * FROM sys.certificates;  ";

static const char SEED_OUT_A_SELECT_ENDPOINTS[] =
    "SELECT name, role_desc, state_desc, connection_auth_desc, encryption_algorithm_desc   \n"
    "   FROM sys.database_mirroring_endpoints;  ";

static const char SEED_OUT_A_ENDPOINT[] = "CREATE ENDPOINT Endpoint_Mirroring  \n"
                                          "   STATE = STARTED  \n"
                                          "   AS TCP (  \n"
                                          "      LISTENER_PORT=7024  \n"
                                          "      , LISTENER_IP = ALL  \n"
                                          "   )   \n"
                                          "   FOR DATABASE_MIRRORING (   \n"
                                          "      AUTHENTICATION = CERTIFICATE HOST_A_cert  \n"
                                          "      , ENCRYPTION = REQUIRED ALGORITHM AES  \n"
                                          "      , ROLE = ALL  \n"
                                          "   );  \n"
                                          "GO  ";

static const char SEED_OUT_A_BACKUP[] =
    "BACKUP CERTIFICATE HOST_A_cert TO FILE = 'C:\\HOST_A_cert.cer';  \n"
    "GO  ";

static const char SEED_OUT_B_EXAMPLE[] =
    "USE master;  \n"
    "--Create the database Master Key, if needed.  \n"
    "CREATE MASTER KEY ENCRYPTION BY PASSWORD = '<Strong_Password_#2>';  \n"
    "GO  \n"
    "-- Make a certifcate on HOST_B server instance.  \n"
    "CREATE CERTIFICATE HOST_B_cert   \n"
    "   WITH SUBJECT = 'HOST_B certificate for database mirroring',   \n"
    "   EXPIRY_DATE = '11/30/2013';  \n"
    "GO  \n"
    "--Create a mirroring endpoint for the server instance on HOST_B.  \n"
    "CREATE ENDPOINT Endpoint_Mirroring  \n"
    "   STATE = STARTED  \n"
    "   AS TCP (  \n"
    "      LISTENER_PORT=7024  \n"
    "      , LISTENER_IP = ALL  \n"
    "   )   \n"
    "   FOR DATABASE_MIRRORING (   \n"
    "      AUTHENTICATION = CERTIFICATE HOST_B_cert  \n"
    "      , ENCRYPTION = REQUIRED ALGORITHM AES  \n"
    "      , ROLE = ALL  \n"
    "   );  \n"
    "GO  \n"
    "--Backup HOST_B certificate.  \n"
    "BACKUP CERTIFICATE HOST_B_cert TO FILE = 'C:\\HOST_B_cert.cer';  \n"
    "GO   \n"
    "--Using any secure copy method, copy C:\\HOST_B_cert.cer to HOST_A.  ";

static const char SEED_IN_A_LOGIN[] = "USE master;  \n"
                                      "CREATE LOGIN HOST_B_login   \n"
                                      "   WITH PASSWORD = '1Sample_Strong_Password!@#';  \n"
                                      "GO  ";

static const char SEED_IN_A_SELECT_PRINCIPALS[] = "SELECT * FROM sys.server_principals  ";

static const char SEED_IN_A_USER[] = "USE master;  \n"
                                     "CREATE USER HOST_B_user FOR LOGIN HOST_B_login;  \n"
                                     "GO  ";

static const char SEED_IN_A_SELECT_SYSUSERS[] = "SELECT * FROM sys.sysusers;  ";

static const char SEED_IN_A_CERTIFICATE[] = "USE master;  \n"
                                            "CREATE CERTIFICATE HOST_B_cert  \n"
                                            "   AUTHORIZATION HOST_B_user  \n"
                                            "   FROM FILE = 'C:\\HOST_B_cert.cer'  \n"
                                            "GO  ";

static const char SEED_IN_A_SELECT_CERTIFICATES[] = "SELECT * FROM sys.certificates  ";

static const char SEED_IN_A_GRANT[] =
    "USE master;  \n"
    "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO [HOST_B_login];  \n"
    "GO  ";

static const char SEED_IN_B_EXAMPLE[] =
    "USE master;  \n"
    "--On HOST_B, create a login for HOST_A.  \n"
    "CREATE LOGIN HOST_A_login WITH PASSWORD = 'AStrongPassword!@#';  \n"
    "GO  \n"
    "--Create a user, HOST_A_user, for that login.  \n"
    "CREATE USER HOST_A_user FOR LOGIN HOST_A_login  \n"
    "GO  \n"
    "--Obtain HOST_A certificate. (See the note   \n"
    "--   preceding this example.)  \n"
    "--Asscociate this certificate with the user, HOST_A_user.  \n"
    "CREATE CERTIFICATE HOST_A_cert  \n"
    "   AUTHORIZATION HOST_A_user  \n"
    "   FROM FILE = 'C:\\HOST_A_cert.cer';  \n"
    "GO  \n"
    "--Grant CONNECT permission for the server instance on HOST_A.  \n"
    "GRANT CONNECT ON ENDPOINT::Endpoint_Mirroring TO HOST_A_login  \n"
    "GO  ";

#endif
